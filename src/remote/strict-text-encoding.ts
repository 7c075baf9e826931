// useStrictTextEncoding makes protobuf-es decode every string field exactly
// as sent, for the whole process. Its default TextDecoder drops a leading
// U+FEFF, so a Create with id "\uFEFFa" created "a"; and it replaces invalid
// UTF-8 with U+FFFD, so bytes a client never meant as text passed as text.
// With ignoreBOM the mark stays (and the id check refuses it); with fatal an
// invalid string is a decode error, which both stacks answer with
// INVALID_ARGUMENT (grpc-js-adapter.ts, http-handler.ts). protobuf-es keeps
// one setting per process (a global), so it is set where the daemon starts
// serving, before the first request is decoded.
import { configureTextEncoding } from "@bufbuild/protobuf/wire";

let configured = false;

export function useStrictTextEncoding(): void {
  if (configured) return;
  configured = true;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });
  configureTextEncoding({
    encodeUtf8: (text) => encoder.encode(text),
    // strict or not, a string that is not UTF-8 is refused.
    decodeUtf8: (bytes) => decoder.decode(bytes),
    checkUtf8: (text) => {
      try {
        encodeURIComponent(text);
        return true;
      } catch {
        return false;
      }
    },
  });
}
