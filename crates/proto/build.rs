//! Generates the Spark Connect types and gRPC service from the checked-in descriptor set
//! (made by `scripts/gen_descriptors.py` from the pinned pyspark-client), so a build needs
//! neither Python nor protoc.

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = "data/spark_connect.binpb";
    println!("cargo:rerun-if-changed={path}");
    let bytes = std::fs::read(path)?;
    let set = prost_types::FileDescriptorSet::decode(bytes.as_slice())?;
    tonic_prost_build::configure()
        .build_client(false)
        .build_server(true)
        .codec_path("crate::nesting::NestingCheckedCodec")
        .compile_fds(set)?;
    Ok(())
}
