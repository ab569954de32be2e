//! The Spark Connect protocol (`spark.connect` package) as Rust types and a tonic service,
//! generated at build time from the descriptors of the pinned `pyspark-client` release.
//! Besides them only the gRPC codec (`nesting`), which lets requests nest as deep as Spark
//! allows; conversion to Ember's plans is `ember-connect`'s job.

pub mod nesting;

#[allow(clippy::all, clippy::unwrap_used, missing_docs)]
pub mod spark {
    pub mod connect {
        tonic::include_proto!("spark.connect");
    }
}
