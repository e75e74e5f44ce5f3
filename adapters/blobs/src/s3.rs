//! Blob storage on S3 (AWS, or any S3-compatible store such as Garage or MinIO).
//!
//! - Endpoint, region, path-style addressing and credentials come from config.
//! - Checksums are calculated only where an operation requires them, which S3-compatible
//!   stores that do not know the newer checksum headers need.
//! - Every PUT is encrypted as configured: SSE-S3, SSE-KMS, or SSE-C with a customer key that
//!   every GET must present too.
//! - [`S3Store::apply_lifecycle`] sets the bucket's lifecycle rule (expire chunks after
//!   `expire_days`, abort incomplete multipart uploads after `abort_multipart_days`) and reads
//!   it back to verify it.

use async_trait::async_trait;
use aws_sdk_s3::config::{Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleFilter, ServerSideEncryption,
};
use aws_sdk_s3::Client;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::{validate_key, BlobError, BlobStore};

/// How objects are encrypted at rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "mode", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Encryption {
    /// The bucket's default.
    None,
    /// S3-managed keys (`x-amz-server-side-encryption: AES256`).
    #[default]
    SseS3,
    /// AWS KMS keys; the bucket's default KMS key when `key_id` is empty.
    SseKms { key_id: String },
    /// A customer-provided 256-bit key, base64, sent with every PUT and GET; the store keeps
    /// only its hash, so an object cannot be read without it.
    SseC { key_base64: String },
}

/// Where and how blobs are stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    pub bucket: String,
    /// Prepended to every key, for example `playback/`.
    pub prefix: String,
    pub region: String,
    /// For S3-compatible stores, such as `http://127.0.0.1:3900`; empty for AWS.
    pub endpoint: String,
    /// Path-style URLs (`endpoint/bucket/key`), which most S3-compatible stores need.
    pub path_style: bool,
    /// Static credentials; when empty, `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
    /// `AWS_SESSION_TOKEN` from the environment.
    pub access_key_id: String,
    pub secret_access_key: String,
    pub encryption: Encryption,
    /// Chunks expire this many days after they were written (365).
    pub expire_days: i32,
    /// Incomplete multipart uploads are aborted after this many days (7).
    pub abort_multipart_days: i32,
}

impl Default for S3Config {
    fn default() -> Self {
        S3Config {
            bucket: "playback".into(),
            prefix: String::new(),
            region: "us-east-1".into(),
            endpoint: String::new(),
            path_style: false,
            access_key_id: String::new(),
            secret_access_key: String::new(),
            encryption: Encryption::SseS3,
            expire_days: 365,
            abort_multipart_days: 7,
        }
    }
}

/// The customer key of SSE-C, ready for the three request headers.
#[derive(Debug, Clone)]
struct CustomerKey {
    key_base64: String,
    key_md5_base64: String,
}

/// Blob storage on S3.
pub struct S3Store {
    client: Client,
    config: S3Config,
    customer_key: Option<CustomerKey>,
}

const LIFECYCLE_RULE_ID: &str = "playback-retention";

/// The SDK's own message is `service error` or `dispatch failure`; the reason spells out the
/// service's code and message, or the debug form, and the SDK error stays as the source.
fn storage<E, R>(error: SdkError<E, R>) -> BlobError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let detail = match error.as_service_error() {
        Some(service) => {
            format!("{}: {}", service.code().unwrap_or("unknown"), service.message().unwrap_or("no message"))
        }
        None => format!("{error:?}"),
    };
    BlobError::storage_from(detail, error)
}

fn credentials(config: &S3Config) -> Result<Credentials, BlobError> {
    if !config.access_key_id.is_empty() {
        return Ok(Credentials::new(&config.access_key_id, &config.secret_access_key, None, None, "playback-config"));
    }
    let key = std::env::var("AWS_ACCESS_KEY_ID").ok();
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").ok();
    match (key, secret) {
        (Some(key), Some(secret)) => {
            Ok(Credentials::new(key, secret, std::env::var("AWS_SESSION_TOKEN").ok(), None, "playback-environment"))
        }
        _ => Err(BlobError::storage("no S3 credentials: set access_key_id or AWS_ACCESS_KEY_ID")),
    }
}

impl S3Store {
    /// A client for `config`; it does not contact the store.
    pub fn new(config: S3Config) -> Result<Self, BlobError> {
        let mut builder = aws_sdk_s3::config::Builder::new()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .force_path_style(config.path_style)
            .credentials_provider(credentials(&config)?)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if !config.endpoint.is_empty() {
            builder = builder.endpoint_url(&config.endpoint);
        }
        let customer_key = match &config.encryption {
            Encryption::SseC { key_base64 } => {
                let key = STANDARD
                    .decode(key_base64)
                    .map_err(|error| BlobError::storage_from("the SSE-C key is not base64", error))?;
                if key.len() != 32 {
                    return Err(BlobError::storage("the SSE-C key must be 32 bytes"));
                }
                Some(CustomerKey { key_base64: key_base64.clone(), key_md5_base64: STANDARD.encode(Md5::digest(&key)) })
            }
            _ => None,
        };
        Ok(S3Store { client: Client::from_conf(builder.build()), config, customer_key })
    }

    fn object_key(&self, key: &str) -> String {
        format!("{}{key}", self.config.prefix)
    }

    /// Sets the lifecycle rule of the bucket and reads it back; fails if the store does not
    /// keep it.
    pub async fn apply_lifecycle(&self) -> Result<(), BlobError> {
        let rule = LifecycleRule::builder()
            .id(LIFECYCLE_RULE_ID)
            .status(ExpirationStatus::Enabled)
            .filter(LifecycleRuleFilter::builder().prefix(&self.config.prefix).build())
            .expiration(LifecycleExpiration::builder().days(self.config.expire_days).build())
            .abort_incomplete_multipart_upload(
                AbortIncompleteMultipartUpload::builder()
                    .days_after_initiation(self.config.abort_multipart_days)
                    .build(),
            )
            .build()
            .map_err(|error| BlobError::storage_from("invalid lifecycle rule", error))?;
        let configuration = BucketLifecycleConfiguration::builder()
            .rules(rule)
            .build()
            .map_err(|error| BlobError::storage_from("invalid lifecycle configuration", error))?;
        self.client
            .put_bucket_lifecycle_configuration()
            .bucket(&self.config.bucket)
            .lifecycle_configuration(configuration)
            .send()
            .await
            .map_err(storage)?;
        let (expire_days, abort_days) = self.lifecycle().await?;
        if expire_days != Some(self.config.expire_days) || abort_days != Some(self.config.abort_multipart_days) {
            return Err(BlobError::storage(format!(
                "bucket lifecycle not kept: expiration {expire_days:?} days, multipart abort {abort_days:?} days"
            )));
        }
        Ok(())
    }

    /// The expiration days and multipart-abort days of Playback's lifecycle rule, as stored.
    pub async fn lifecycle(&self) -> Result<(Option<i32>, Option<i32>), BlobError> {
        let stored = self
            .client
            .get_bucket_lifecycle_configuration()
            .bucket(&self.config.bucket)
            .send()
            .await
            .map_err(storage)?;
        let rule = stored.rules().iter().find(|rule| rule.id() == Some(LIFECYCLE_RULE_ID));
        let expire_days = rule.and_then(|rule| rule.expiration()).and_then(|expiration| expiration.days());
        let abort_days = rule
            .and_then(|rule| rule.abort_incomplete_multipart_upload())
            .and_then(|abort| abort.days_after_initiation());
        Ok((expire_days, abort_days))
    }

    /// A GET without the customer key, for tests that prove SSE-C protects the object.
    pub async fn get_without_key(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        let object = self
            .client
            .get_object()
            .bucket(&self.config.bucket)
            .key(self.object_key(key))
            .send()
            .await
            .map_err(storage)?;
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|error| BlobError::storage_from("cannot read the object body", error))?;
        Ok(bytes.into_bytes().to_vec())
    }
}

#[async_trait]
impl BlobStore for S3Store {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), BlobError> {
        validate_key(key)?;
        let mut request = self
            .client
            .put_object()
            .bucket(&self.config.bucket)
            .key(self.object_key(key))
            .content_type("application/zstd")
            .body(ByteStream::from(bytes));
        request = match &self.config.encryption {
            Encryption::None => request,
            Encryption::SseS3 => request.server_side_encryption(ServerSideEncryption::Aes256),
            Encryption::SseKms { key_id } => {
                let request = request.server_side_encryption(ServerSideEncryption::AwsKms);
                if key_id.is_empty() {
                    request
                } else {
                    request.ssekms_key_id(key_id)
                }
            }
            Encryption::SseC { .. } => request,
        };
        if let Some(customer) = &self.customer_key {
            request = request
                .sse_customer_algorithm("AES256")
                .sse_customer_key(&customer.key_base64)
                .sse_customer_key_md5(&customer.key_md5_base64);
        }
        request.send().await.map_err(storage)?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        validate_key(key)?;
        let mut request = self.client.get_object().bucket(&self.config.bucket).key(self.object_key(key));
        if let Some(customer) = &self.customer_key {
            request = request
                .sse_customer_algorithm("AES256")
                .sse_customer_key(&customer.key_base64)
                .sse_customer_key_md5(&customer.key_md5_base64);
        }
        match request.send().await {
            Ok(object) => {
                let bytes = object
                    .body
                    .collect()
                    .await
                    .map_err(|error| BlobError::storage_from("cannot read the object body", error))?;
                Ok(Some(bytes.into_bytes().to_vec()))
            }
            Err(error) if error.as_service_error().is_some_and(|service| service.is_no_such_key()) => Ok(None),
            Err(error) => Err(storage(error)),
        }
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        validate_key(key)?;
        self.client
            .delete_object()
            .bucket(&self.config.bucket)
            .key(self.object_key(key))
            .send()
            .await
            .map_err(storage)?;
        Ok(())
    }

    async fn check(&self) -> Result<(), BlobError> {
        self.client.head_bucket().bucket(&self.config.bucket).send().await.map_err(storage)?;
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, BlobError> {
        let mut keys = Vec::new();
        let mut continuation: Option<String> = None;
        loop {
            let mut request = self.client.list_objects_v2().bucket(&self.config.bucket).prefix(self.object_key(prefix));
            if let Some(token) = &continuation {
                request = request.continuation_token(token);
            }
            let page = request.send().await.map_err(storage)?;
            for object in page.contents() {
                if let Some(key) = object.key().and_then(|key| key.strip_prefix(&self.config.prefix)) {
                    keys.push(key.to_string());
                }
            }
            match page.next_continuation_token() {
                Some(token) if page.is_truncated().unwrap_or(false) => continuation = Some(token.to_string()),
                _ => break,
            }
        }
        keys.sort();
        Ok(keys)
    }
}
