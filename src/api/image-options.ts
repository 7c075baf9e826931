// The shapes of the Client's image calls (List, Inspect, Tag, Remove,
// Prune, Load, Save of ImageService) besides the generated Image message.

export interface ImageListOptions {
  // dangling keeps only the images no name points at.
  dangling?: boolean;
}

export interface ImageRemoveOptions {
  // force deletes an image containers use (they keep its layers) or one
  // that several names point at.
  force?: boolean;
}

// ImageRemoveResult names what a Remove or Prune did: the names it
// removed, then the ids of the images it deleted.
export interface ImageRemoveResult {
  untagged: string[];
  deleted: string[];
}

export interface ImagePruneOptions {
  // all prunes every image no container uses, not only dangling ones.
  all?: boolean;
}

export interface ImagePruneResult extends ImageRemoveResult {
  // reclaimedBytes is the disk space freed: blobs and unpacked layers.
  reclaimedBytes: bigint;
}

export interface ImageStreamOptions {
  // signal cancels a Load (nothing of it stays) or ends a Save.
  signal?: AbortSignal;
}
