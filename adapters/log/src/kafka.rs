//! The event log on Apache Kafka, through librdkafka.
//!
//! - The producer is idempotent with `acks=all`: `publish` returns once every in-sync replica
//!   has the record, and a retried send is never written twice.
//! - A consumer is a member of a consumer group with auto-commit off; offsets are committed
//!   only through [`Consumer::commit`], after the stage's effects are durable.
//! - An empty value is sent as a null payload, Kafka's tombstone, so compaction removes the key.
//! - Topic names carry a configurable prefix, so several deployments (or test runs) can share
//!   a cluster.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rdkafka::admin::{AdminClient, AdminOptions, AlterConfig, NewTopic, ResourceSpecifier, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer as _, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use rdkafka::statistics::Statistics;
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::util::Timeout;
use rdkafka::{Offset, TopicPartitionList};
use serde::{Deserialize, Serialize};

use crate::{
    partition_for, Consumer, EventLog, KeyDeletion, KeyValues, LogError, Record, Topic, TrimOptions, TrimReport,
};

/// Connection and topic settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaConfig {
    /// `host:port,host:port`.
    pub brokers: String,
    /// Prepended to every topic name, for example `staging.`.
    pub topic_prefix: String,
    /// Prepended to every consumer group name.
    pub group_prefix: String,
    /// Partitions of topics that `migrate` creates (12). The consumers of a group share them.
    pub partitions: i32,
    pub replication_factor: i32,
    /// How long the brokers keep raw batches: `retention.ms` of the raw topic, which `migrate`
    /// sets on a new topic and on an existing one alike (604 800 000, 7 days). The stages
    /// read a batch within seconds; the rest is room for an outage.
    pub raw_retention_ms: u64,
    /// How long a publish may wait for the brokers before it fails (10 s).
    pub publish_timeout_ms: u64,
    /// Extra librdkafka settings for every client, for example `security.protocol` and
    /// `sasl.mechanism`.
    pub client: BTreeMap<String, String>,
    /// `sasl.username` and `sasl.password`, when not empty: kept apart from `client` so that
    /// they can come from their own environment variables (a secret each).
    pub sasl_username: String,
    pub sasl_password: String,
}

impl Default for KafkaConfig {
    fn default() -> Self {
        KafkaConfig {
            brokers: "127.0.0.1:9092".into(),
            topic_prefix: String::new(),
            group_prefix: "playback-".into(),
            partitions: 12,
            replication_factor: 3,
            raw_retention_ms: 7 * 86_400_000,
            publish_timeout_ms: 10_000,
            client: BTreeMap::new(),
            sasl_username: String::new(),
            sasl_password: String::new(),
        }
    }
}

/// Errors a consumer reports while its brokers are unreachable, from which librdkafka recovers
/// by itself (it logs each through the client context as well).
fn is_reconnecting(error: &KafkaError) -> bool {
    matches!(
        error,
        KafkaError::MessageConsumption(
            RDKafkaErrorCode::AllBrokersDown
                | RDKafkaErrorCode::BrokerTransportFailure
                | RDKafkaErrorCode::OperationTimedOut
                | RDKafkaErrorCode::Resolve
        )
    )
}

fn unavailable(error: KafkaError) -> LogError {
    LogError::unavailable_from("kafka call failed", error)
}

/// A blocking Kafka call that did not finish (it panicked or the runtime shut down).
fn blocking_call_failed(error: tokio::task::JoinError) -> LogError {
    LogError::unavailable_from("blocking kafka call failed", error)
}

/// How often librdkafka reports the producer's statistics, among them its idempotence state.
const PRODUCER_STATISTICS_INTERVAL_MS: u32 = 1_000;

/// `(idemp_state, producer_id)` as librdkafka last reported them.
type IdempotenceState = Arc<std::sync::Mutex<Option<(String, i64)>>>;

/// The producer's context: keeps the idempotence state from librdkafka's statistics.
#[derive(Default)]
pub struct ProducerContext {
    idempotence: IdempotenceState,
}

impl ClientContext for ProducerContext {
    fn stats(&self, statistics: Statistics) {
        if let Some(eos) = statistics.eos {
            *self.idempotence.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
                Some((eos.idemp_state, eos.producer_id));
        }
    }
}

/// The Kafka event log.
pub struct KafkaLog {
    config: KafkaConfig,
    producer_config: ClientConfig,
    producer: FutureProducer<ProducerContext>,
    idempotence: IdempotenceState,
    /// Partition counts read from the brokers, once per topic and process. Adding partitions
    /// to a topic moves keys between partitions, so every process must be restarted after it.
    partition_counts: std::sync::Mutex<HashMap<Topic, i32>>,
}

impl KafkaLog {
    fn client_config(&self) -> ClientConfig {
        client_config(&self.config)
    }

    fn topic_name(&self, topic: Topic) -> String {
        format!("{}{}", self.config.topic_prefix, topic.name())
    }

    /// Connects the producer; topics must exist (see [`KafkaLog::create_topics`]).
    pub fn connect(config: KafkaConfig) -> Result<Self, LogError> {
        let mut producer_config = client_config(&config);
        producer_config
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("compression.type", "lz4")
            .set("linger.ms", "5")
            .set("message.timeout.ms", config.publish_timeout_ms.to_string())
            .set("statistics.interval.ms", PRODUCER_STATISTICS_INTERVAL_MS.to_string());
        let idempotence = IdempotenceState::default();
        let context = ProducerContext { idempotence: idempotence.clone() };
        let producer: FutureProducer<ProducerContext> =
            producer_config.create_with_context(context).map_err(unavailable)?;
        Ok(KafkaLog { config, producer_config, producer, idempotence, partition_counts: std::sync::Mutex::default() })
    }

    /// A producer setting as librdkafka resolved it (after its own defaults and aliases).
    pub fn producer_setting(&self, name: &str) -> Option<String> {
        self.producer_config.create_native_config().ok().and_then(|config| config.get(name).ok())
    }

    /// The producer id the brokers assigned to this idempotent producer, once librdkafka reports
    /// its idempotence state as `Assigned` (statistics come every second). This is idempotence in
    /// effect, not only configured: without it the brokers would not de-duplicate retried sends.
    pub fn idempotent_producer_id(&self) -> Option<i64> {
        let state = self.idempotence.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone();
        match state {
            Some((idemp_state, producer_id)) if idemp_state == "Assigned" && producer_id >= 0 => Some(producer_id),
            _ => None,
        }
    }

    /// Creates every topic that is missing, and sets `retention.ms` of the raw topic whether
    /// it was there or not; other settings of existing topics are left as they are.
    pub async fn create_topics(&self) -> Result<(), LogError> {
        let admin: AdminClient<DefaultClientContext> = self.client_config().create().map_err(unavailable)?;
        let names: Vec<(Topic, String)> = Topic::ALL.into_iter().map(|topic| (topic, self.topic_name(topic))).collect();
        let raw_retention = self.config.raw_retention_ms.to_string();
        let mut new_topics = Vec::new();
        for (topic, name) in &names {
            let mut new_topic =
                NewTopic::new(name, self.config.partitions, TopicReplication::Fixed(self.config.replication_factor));
            if topic.is_compacted() {
                new_topic = new_topic.set("cleanup.policy", "compact");
            }
            if *topic == Topic::RawBatches {
                new_topic = new_topic.set("retention.ms", &raw_retention);
            }
            new_topics.push(new_topic);
        }
        let options = AdminOptions::new().operation_timeout(Some(Timeout::After(Duration::from_secs(30))));
        let results = admin.create_topics(&new_topics, &options).await.map_err(unavailable)?;
        for result in results {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((name, code)) => {
                    return Err(LogError::unavailable_from(format!("cannot create topic {name}"), code))
                }
            }
        }
        // Creation is asynchronous on the brokers: wait until the metadata shows every topic.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            match self.check_topics().await {
                Ok(()) => break,
                Err(error) if tokio::time::Instant::now() >= deadline => return Err(error),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
        // An existing raw topic gets the configured retention too. AlterConfigs replaces the
        // topic's dynamic settings, and Playback sets no other on the raw topic.
        let raw_name = self.topic_name(Topic::RawBatches);
        let alter = AlterConfig::new(ResourceSpecifier::Topic(&raw_name)).set("retention.ms", &raw_retention);
        let results = admin.alter_configs(&[alter], &options).await.map_err(unavailable)?;
        for result in results {
            if let Err((_, code)) = result {
                return Err(LogError::unavailable_from(format!("cannot set retention.ms of {raw_name}"), code));
            }
        }
        Ok(())
    }

    /// A setting of `topic` as the brokers report it, such as `retention.ms`.
    pub async fn topic_setting(&self, topic: Topic, name: &str) -> Result<Option<String>, LogError> {
        let admin: AdminClient<DefaultClientContext> = self.client_config().create().map_err(unavailable)?;
        let topic_name = self.topic_name(topic);
        let options = AdminOptions::new().request_timeout(Some(Timeout::After(Duration::from_secs(10))));
        let results =
            admin.describe_configs(&[ResourceSpecifier::Topic(&topic_name)], &options).await.map_err(unavailable)?;
        for result in results {
            let resource = result.map_err(|code| LogError::unavailable_from("cannot describe the topic", code))?;
            if let Some(entry) = resource.get(name) {
                return Ok(entry.value.clone());
            }
        }
        Ok(None)
    }

    /// Checks that the brokers answer and every topic exists.
    pub async fn check_topics(&self) -> Result<(), LogError> {
        let producer = self.producer.clone();
        let names: Vec<String> = Topic::ALL.into_iter().map(|topic| self.topic_name(topic)).collect();
        tokio::task::spawn_blocking(move || {
            let metadata = producer.client().fetch_metadata(None, Duration::from_secs(5)).map_err(unavailable)?;
            for name in names {
                if !metadata.topics().iter().any(|topic| topic.name() == name && !topic.partitions().is_empty()) {
                    return Err(LogError::unavailable(format!("topic {name} does not exist")));
                }
            }
            Ok(())
        })
        .await
        .map_err(blocking_call_failed)?
    }
}

fn client_config(config: &KafkaConfig) -> ClientConfig {
    let mut client = ClientConfig::new();
    client.set("bootstrap.servers", &config.brokers);
    for (key, value) in &config.client {
        client.set(key, value);
    }
    if !config.sasl_username.is_empty() {
        client.set("sasl.username", &config.sasl_username);
    }
    if !config.sasl_password.is_empty() {
        client.set("sasl.password", &config.sasl_password);
    }
    client
}

#[async_trait]
impl EventLog for KafkaLog {
    async fn delete_key(&self, topic: Topic, _key: &[u8], _dry_run: bool) -> Result<KeyDeletion, LogError> {
        let reason = if topic.is_compacted() {
            "kafka cannot delete single records: a tombstone on the key removes them at the next compaction"
        } else {
            "kafka cannot delete single records: they are removed when the topic's retention.ms has passed"
        };
        Ok(KeyDeletion::not_possible(reason))
    }

    async fn publish(&self, topic: Topic, key: &[u8], value: Vec<u8>) -> Result<(), LogError> {
        let name = self.topic_name(topic);
        // Our own partitioner, not librdkafka's, so that the embedded log and Kafka agree and a
        // stage can tell which keys its partitions hold.
        let partition = partition_for(key, self.partitions(topic).await?);
        let mut record: FutureRecord<'_, [u8], Vec<u8>> = FutureRecord::to(&name).key(key).partition(partition);
        if !value.is_empty() {
            record = record.payload(&value);
        }
        self.producer.send(record, Timeout::Never).await.map(|_| ()).map_err(|(error, _)| unavailable(error))
    }

    async fn consumer(&self, topic: Topic, group: &str) -> Result<Box<dyn Consumer>, LogError> {
        let consumer: StreamConsumer = self
            .client_config()
            .set("group.id", format!("{}{group}", self.config.group_prefix))
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("partition.assignment.strategy", "cooperative-sticky")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "1000")
            .create()
            .map_err(unavailable)?;
        let name = self.topic_name(topic);
        consumer.subscribe(&[&name]).map_err(unavailable)?;
        Ok(Box::new(KafkaConsumer { consumer: Arc::new(consumer), topic: name }))
    }

    async fn check(&self) -> Result<(), LogError> {
        self.check_topics().await
    }

    async fn partitions(&self, topic: Topic) -> Result<i32, LogError> {
        if let Some(count) = self.partition_counts.lock().ok().and_then(|counts| counts.get(&topic).copied()) {
            return Ok(count);
        }
        let producer = self.producer.clone();
        let name = self.topic_name(topic);
        let count = tokio::task::spawn_blocking(move || {
            let metadata =
                producer.client().fetch_metadata(Some(&name), Duration::from_secs(10)).map_err(unavailable)?;
            let count = metadata
                .topics()
                .iter()
                .find(|entry| entry.name() == name && entry.error().is_none())
                .map_or(0, |entry| entry.partitions().len());
            match i32::try_from(count) {
                Ok(count) if count > 0 => Ok(count),
                _ => Err(LogError::unavailable(format!("topic {name} does not exist; run `playback migrate`"))),
            }
        })
        .await
        .map_err(blocking_call_failed)??;
        if let Ok(mut counts) = self.partition_counts.lock() {
            counts.insert(topic, count);
        }
        Ok(count)
    }

    async fn trim(&self, options: &TrimOptions) -> Result<TrimReport, LogError> {
        let _ = options;
        let note = format!(
            "kafka removes raw batches by retention.ms ({} ms) and compacts the changelog by itself",
            self.config.raw_retention_ms
        );
        Ok(TrimReport { note: Some(note), ..TrimReport::default() })
    }

    async fn read_compacted(&self, topic: Topic) -> Result<KeyValues, LogError> {
        let config = self.client_config();
        let name = self.topic_name(topic);
        tokio::task::spawn_blocking(move || read_to_end(config, &name)).await.map_err(blocking_call_failed)?
    }
}

/// Reads every partition of `topic` from the beginning up to its high watermark, outside any
/// consumer group, keeping the newest value of each key.
fn read_to_end(mut config: ClientConfig, topic: &str) -> Result<KeyValues, LogError> {
    let consumer: BaseConsumer = config
        .set("group.id", format!("playback-reader-{}", uuid::Uuid::new_v4()))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .create()
        .map_err(unavailable)?;
    let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(10)).map_err(unavailable)?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|entry| entry.name() == topic)
        .flat_map(|entry| entry.partitions().iter().map(|partition| partition.id()))
        .collect();
    let mut assignment = TopicPartitionList::new();
    let mut remaining: HashMap<i32, i64> = HashMap::new();
    for partition in partitions {
        let (low, high) = consumer.fetch_watermarks(topic, partition, Duration::from_secs(10)).map_err(unavailable)?;
        if high > low {
            assignment.add_partition_offset(topic, partition, Offset::Beginning).map_err(unavailable)?;
            remaining.insert(partition, high);
        }
    }
    let mut newest: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    if remaining.is_empty() {
        return Ok(Vec::new());
    }
    consumer.assign(&assignment).map_err(unavailable)?;
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !remaining.is_empty() {
        if std::time::Instant::now() > deadline {
            return Err(LogError::unavailable(format!("timed out reading {topic}")));
        }
        let Some(message) = consumer.poll(Duration::from_millis(500)) else { continue };
        let message = message.map_err(unavailable)?;
        let key = message.key().unwrap_or_default().to_vec();
        match message.payload() {
            Some(value) if !value.is_empty() => {
                newest.insert(key, value.to_vec());
            }
            _ => {
                newest.remove(&key);
            }
        }
        if remaining.get(&message.partition()).is_some_and(|high| message.offset() + 1 >= *high) {
            remaining.remove(&message.partition());
        }
    }
    Ok(newest.into_iter().collect())
}

/// A member of a Kafka consumer group.
struct KafkaConsumer {
    consumer: Arc<StreamConsumer>,
    topic: String,
}

fn record_of(message: &rdkafka::message::BorrowedMessage<'_>) -> Record {
    Record {
        partition: message.partition(),
        offset: message.offset(),
        key: message.key().unwrap_or_default().to_vec(),
        value: message.payload().unwrap_or_default().to_vec(),
        timestamp_ms: message.timestamp().to_millis().unwrap_or(0),
    }
}

#[async_trait]
impl Consumer for KafkaConsumer {
    async fn poll(&mut self, max_records: usize, timeout: Duration) -> Result<Vec<Record>, LogError> {
        let mut records = Vec::new();
        let deadline = tokio::time::Instant::now() + timeout;
        let first = loop {
            match tokio::time::timeout_at(deadline, self.consumer.recv()).await {
                Err(_) => return Ok(records),
                Ok(Ok(message)) => break message,
                // librdkafka reconnects on its own; it queues one such event per failed attempt
                // while the brokers are away, and they are passed over here, not slept on.
                Ok(Err(error)) if is_reconnecting(&error) => continue,
                Ok(Err(error)) => return Err(unavailable(error)),
            }
        };
        records.push(record_of(&first));
        drop(first);
        // Take what is already fetched, without waiting for more.
        while records.len() < max_records {
            match tokio::time::timeout(Duration::from_millis(5), self.consumer.recv()).await {
                Ok(Ok(message)) => records.push(record_of(&message)),
                Ok(Err(error)) if is_reconnecting(&error) => continue,
                Ok(Err(error)) => return Err(unavailable(error)),
                Err(_) => break,
            }
        }
        Ok(records)
    }

    async fn commit(&mut self, next_offsets: &[(i32, i64)]) -> Result<(), LogError> {
        let mut list = TopicPartitionList::new();
        for (partition, offset) in next_offsets {
            list.add_partition_offset(&self.topic, *partition, Offset::Offset(*offset)).map_err(unavailable)?;
        }
        let consumer = Arc::clone(&self.consumer);
        tokio::task::spawn_blocking(move || consumer.commit(&list, CommitMode::Sync))
            .await
            .map_err(blocking_call_failed)?
            .map_err(unavailable)
    }

    async fn assignment(&mut self) -> Result<Vec<i32>, LogError> {
        let list = self.consumer.assignment().map_err(unavailable)?;
        let mut partitions: Vec<i32> = list
            .elements()
            .iter()
            .filter(|element| element.topic() == self.topic)
            .map(|element| element.partition())
            .collect();
        partitions.sort_unstable();
        Ok(partitions)
    }

    async fn lag(&mut self) -> Result<Vec<(i32, i64)>, LogError> {
        let consumer = Arc::clone(&self.consumer);
        let topic = self.topic.clone();
        tokio::task::spawn_blocking(move || consumer_lag(&consumer, &topic)).await.map_err(blocking_call_failed)?
    }
}

/// How long each broker request of [`Consumer::lag`] may take.
const LAG_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// The lag of each partition of `topic` that `consumer` owns: the high watermark (asked of the
/// partition's leader, not the fetcher's cached value, which goes stale while the stage does
/// not poll) minus the position. A partition this member has not read from yet has no
/// position: its committed offset stands in, or the low watermark when the group never
/// committed (`auto.offset.reset=earliest`). Stops at the first failed request.
fn consumer_lag(consumer: &StreamConsumer, topic: &str) -> Result<Vec<(i32, i64)>, LogError> {
    let positions = consumer.position().map_err(unavailable)?;
    let mut known: Vec<(i32, Option<i64>)> = Vec::new();
    let mut unread = TopicPartitionList::new();
    for element in positions.elements() {
        if element.topic() != topic {
            continue;
        }
        match element.offset() {
            Offset::Offset(offset) => known.push((element.partition(), Some(offset))),
            _ => {
                known.push((element.partition(), None));
                unread.add_partition(topic, element.partition());
            }
        }
    }
    if unread.count() > 0 {
        let committed = consumer.committed_offsets(unread, LAG_REQUEST_TIMEOUT).map_err(unavailable)?;
        for element in committed.elements() {
            if let (Offset::Offset(offset), Some(entry)) =
                (element.offset(), known.iter_mut().find(|(partition, _)| *partition == element.partition()))
            {
                entry.1 = Some(offset);
            }
        }
    }
    known.sort_unstable();
    let mut lag = Vec::with_capacity(known.len());
    for (partition, position) in known {
        let (low, high) = consumer.fetch_watermarks(topic, partition, LAG_REQUEST_TIMEOUT).map_err(unavailable)?;
        let from = position.unwrap_or(low).max(low);
        lag.push((partition, (high - from).max(0)));
    }
    Ok(lag)
}
