//! Compiles `proto/` into Rust with a pure-Rust protobuf compiler (protox), so a
//! fresh machine needs no `protoc`.

use std::path::Path;

const PROTOS: &[&str] = &["proto/wechaty/puppet.proto", "proto/grpc/health/v1/health.proto"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    for file in &descriptors.file {
        let path = Path::new("proto").join(file.name());
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        // The mock serves a handful of the 62 rpcs; the rest answer UNIMPLEMENTED.
        .generate_default_stubs(true)
        // Prost's codec with small first buffers (`src/proto.rs`).
        .codec_path("crate::proto::codec::SmallCodec")
        .compile_fds(descriptors)?;
    Ok(())
}
