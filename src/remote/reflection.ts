// addReflection serves gRPC server reflection (grpc.reflection.v1 and
// v1alpha, through the maintained @grpc/reflection) on a grpc-js server, so
// grpcurl, grpcui, Postman or any reflection client can list and call every
// RPC with no .proto at hand. What it describes is read from the methods the
// server routes: each one's generated file descriptor and the files it
// imports, so a service added to the routes is described with no list to
// keep up to date.
import type * as grpc from "@grpc/grpc-js";
import { toBinary, type DescFile } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { MethodImplSpec } from "@connectrpc/connect";
import { ReflectionService } from "@grpc/reflection";

export function addReflection(server: grpc.Server, specs: MethodImplSpec[]): void {
  const files = new Map<string, DescFile>();
  const visit = (file: DescFile): void => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    file.dependencies.forEach(visit);
  };
  for (const spec of specs) visit(spec.method.parent.file);
  // ReflectionService reads only fileDescriptorProtos from the package
  // definition @grpc/proto-loader would give it: the encoded files.
  const fileDescriptorProtos = [...files.values()].map((file) => Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)));
  const definition = { files: { fileDescriptorProtos } } as unknown as ConstructorParameters<typeof ReflectionService>[0];
  new ReflectionService(definition).addToServer(server);
}
