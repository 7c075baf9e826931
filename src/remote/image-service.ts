// ImageService adapts Pull, Login and Logout to the Client of the
// caller's namespace. Pull's progress callback feeds the response stream
// through a queue; the call's signal goes to the pull, so a client that
// hangs up or runs out of time cancels it at its source.
import type { ServiceImpl } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";

import { ImageService, ImageServicePullResponseSchema, type ImageServicePullResponse } from "../gen/berth/v1/images_pb.js";
import { clientForCall, type ClientResolver } from "./namespace.js";
import { streamWithStatus, withStatus } from "./with-status.js";

export function imageService(deps: ClientResolver): ServiceImpl<typeof ImageService> {
  return {
    pull: streamWithStatus(async function* (req, ctx) {
      const queue: ImageServicePullResponse[] = [];
      let wake: (() => void) | undefined;
      let finished = false;
      const pulling = clientForCall(deps, ctx)
        .pull(req.reference, {
          platform: req.platform,
          signal: ctx.signal,
          onProgress: (progress) => {
            queue.push(create(ImageServicePullResponseSchema, { item: { case: "progress", value: progress } }));
            wake?.();
          },
        })
        .finally(() => {
          finished = true;
          wake?.();
        });
      pulling.catch(() => {});
      while (!finished || queue.length > 0) {
        if (queue.length === 0) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        yield queue.shift()!;
      }
      yield create(ImageServicePullResponseSchema, { item: { case: "image", value: await pulling } });
    }),
    login: withStatus(async (req, ctx) => clientForCall(deps, ctx).login(req.server, { username: req.username, password: req.password, signal: ctx.signal })),
    logout: withStatus(async (req, ctx) => clientForCall(deps, ctx).logout(req.server)),
  };
}
