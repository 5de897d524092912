// The in-page body of the benchmark: exact N-byte reads. Shared by the page (page.mjs) and the
// Node A/B of builds (benches/ab-node.mjs), so both hand the product the same reads.

let channel = null;
const queued = [];
/// Resolves in a new task (no timer clamping). The channel is made on first use: a Node
/// process that never paces its reads keeps no port open.
function nextTask() {
  if (channel === null) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => queued.shift()();
  }
  return new Promise((resolve) => {
    queued.push(resolve);
    channel.port2.postMessage(0);
  });
}

/// A body that hands out exactly `size` bytes per read (the last read: the rest), only when a
/// read is pending (highWaterMark 0). `paced`: each read is answered in a new task.
export function exactReads(bytes, size, counter, paced) {
  let offset = 0;
  const push = (controller) => {
    const end = Math.min(offset + size, bytes.length);
    controller.enqueue(bytes.subarray(offset, end));
    counter.reads++;
    offset = end;
    if (offset >= bytes.length) controller.close();
  };
  return new ReadableStream(
    {
      pull(controller) {
        if (!paced) return push(controller);
        return nextTask().then(() => push(controller));
      },
    },
    { highWaterMark: 0 },
  );
}
