import type { IdMappings } from "./id-mapping.js";

// CopyTarget is what the engine says of a container for a copy into or out
// of it (src/copy opens and walks it): where its root is, and the mounts the
// container sees, read from its OCI spec.
export interface CopyTarget {
  containerId: string;
  // rootPath is the folder to open as the container's "/": /proc/<pid>/root
  // of a running (or paused) container, whose mounts are then the kernel's;
  // the overlay mount point of a created or stopped one, whose mounts
  // src/copy stands in for (bind sources) or refuses (tmpfs, proc, ...).
  rootPath: string;
  // live says rootPath is a running container's own view (mounts real).
  live: boolean;
  readOnlyRoot: boolean;
  mounts: CopyMount[];
  // idMappings are the container's user namespace's maps, when it has one
  // of its own: the owners of files copied in and out are mapped by them.
  idMappings?: IdMappings | undefined;
  // stillOwned says, once rootPath is open, that it was the container's:
  // the pid of a running one may otherwise have been reused.
  stillOwned: () => Promise<boolean>;
}

export interface CopyMount {
  // destination is absolute and normalized ("/data", never "/data/").
  destination: string;
  // source is the host path of a bind mount; undefined for any other kind.
  source: string | undefined;
  type: string;
  readOnly: boolean;
}
