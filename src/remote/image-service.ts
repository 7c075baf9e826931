// ImageService adapts the image and registry RPCs to the Client of the caller's
// namespace (the store is the daemon's; the namespace only says where
// image events go). Load's chunks are handed on as they arrive; Save's
// archive goes out in chunks of at most SAVE_CHUNK bytes. Pull's progress
// callback feeds the response stream through a queue; the call's signal
// goes to the pull, so a client that hangs up or runs out of time cancels
// it at its source.
import type { ServiceImpl } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";

import { ImageService, ImageServicePullResponseSchema, type ImageServicePullResponse } from "../gen/berth/v1/images_pb.js";
import { clientForCall, type ClientResolver } from "./namespace.js";
import { streamWithStatus, withStatus } from "./with-status.js";

const SAVE_CHUNK = 256 * 1024;

export function imageService(deps: ClientResolver): ServiceImpl<typeof ImageService> {
  return {
    list: withStatus(async (req, ctx) => ({ images: await clientForCall(deps, ctx).listImages({ dangling: req.dangling }) })),
    inspect: withStatus(async (req, ctx) => ({ image: await clientForCall(deps, ctx).inspectImage(req.image) })),
    tag: withStatus(async (req, ctx) => ({ image: await clientForCall(deps, ctx).tagImage(req.source, req.target) })),
    remove: withStatus(async (req, ctx) => clientForCall(deps, ctx).removeImage(req.image, { force: req.force })),
    prune: withStatus(async (req, ctx) => clientForCall(deps, ctx).pruneImages({ all: req.all })),
    load: withStatus(async (requests, ctx) => {
      async function* chunks(): AsyncGenerator<Uint8Array> {
        for await (const req of requests) yield req.chunk;
      }
      return { images: await clientForCall(deps, ctx).loadImages(chunks(), { signal: ctx.signal }) };
    }),
    save: streamWithStatus(async function* (req, ctx) {
      for await (const data of clientForCall(deps, ctx).saveImages(req.images, { signal: ctx.signal })) {
        for (let at = 0; at < data.length; at += SAVE_CHUNK) yield { chunk: data.subarray(at, at + SAVE_CHUNK) };
      }
    }),
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
