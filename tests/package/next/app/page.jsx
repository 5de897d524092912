// A server component (prerendered at build time) that renders the client component.
import Stream from "./stream";

export default function Page() {
  return (
    <main>
      <h1>streamguard in Next.js</h1>
      <Stream />
    </main>
  );
}
