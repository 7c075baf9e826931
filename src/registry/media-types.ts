// The manifest and index media types berth pulls: Docker's schema 2 and the
// OCI image spec's, each as a single-platform manifest or a list of them.
export const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
export const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_SCHEMA1 = ["application/vnd.docker.distribution.manifest.v1+json", "application/vnd.docker.distribution.manifest.v1+prettyjws"];

// ACCEPT_MANIFESTS is the Accept header of a manifest request: without it,
// registries answer with schema 1 or pick a platform for us.
export const ACCEPT_MANIFESTS = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(", ");

export const isIndex = (mediaType: string) => mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
export const isManifest = (mediaType: string) => mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST;
export const isSchema1 = (mediaType: string) => DOCKER_SCHEMA1.includes(mediaType);
