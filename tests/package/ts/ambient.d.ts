// What the READMEs' examples take from the page around them.
declare const messages: { role: "system" | "user" | "assistant"; content: string }[];
declare const key: string;
declare const output: HTMLElement;
declare const badge: HTMLElement;
declare const log: HTMLElement;
