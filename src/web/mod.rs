//! The browser layer (wasm32 only). (Stub until issue 6 lands.)
