//! Backward compatibility: a value written with any schema in a type's history decodes into
//! the current type. The values are generated from each old schema, so a new required field
//! without a default, a removed type or a narrowed type fails here.

use apache_avro::schema::{RecordSchema, Schema, UnionSchema};
use apache_avro::types::Value;
use playback_schemas::codec::{CompiledSchema, MAGIC};
use playback_schemas::{AvroMessage, RawBatch, SessionState, SessionUpdate};

use std::collections::HashMap;

use apache_avro::schema::Name;

/// A plausible value of `schema`, with one item in every array and the non-null branch of
/// every union, so that every field is exercised. `named` collects the named types seen so far,
/// for references to them.
fn sample(schema: &Schema, named: &mut HashMap<Name, Schema>) -> Value {
    match schema {
        Schema::Null => Value::Null,
        Schema::Boolean => Value::Boolean(true),
        Schema::Int => Value::Int(7),
        Schema::Long => Value::Long(1_764_300_000_000),
        Schema::Float => Value::Float(1.5),
        Schema::Double => Value::Double(2.5),
        Schema::Bytes => Value::Bytes(b"[{\"type\":4}]".to_vec()),
        Schema::String => Value::String("text".into()),
        Schema::Array(array) => Value::Array(vec![sample(&array.items, named)]),
        Schema::Map(map) => Value::Map([("key".to_string(), sample(&map.types, named))].into_iter().collect()),
        Schema::Union(union) => union_sample(union, named),
        Schema::Record(record) => {
            named.insert(record.name.clone(), schema.clone());
            record_sample(record, named)
        }
        Schema::Enum(enumeration) => Value::Enum(0, enumeration.symbols[0].clone()),
        Schema::Ref { name } => {
            let target = named.get(name).cloned().unwrap_or_else(|| panic!("unknown reference {name:?}"));
            sample(&target, named)
        }
        other => panic!("no sample for {other:?}; extend the generator"),
    }
}

fn union_sample(union: &UnionSchema, named: &mut HashMap<Name, Schema>) -> Value {
    let variants = union.variants();
    let index = variants.iter().position(|variant| *variant != Schema::Null).unwrap_or(0);
    Value::Union(index as u32, Box::new(sample(&variants[index], named)))
}

fn record_sample(record: &RecordSchema, named: &mut HashMap<Name, Schema>) -> Value {
    Value::Record(record.fields.iter().map(|field| (field.name.clone(), sample(&field.schema, named))).collect())
}

fn framed(old: &CompiledSchema) -> Vec<u8> {
    let value = sample(&old.schema, &mut HashMap::new()).resolve(&old.schema).expect("a sample fits its own schema");
    let datum = apache_avro::to_avro_datum(&old.schema, value).expect("encodes");
    [MAGIC.as_slice(), old.fingerprint.as_slice(), datum.as_slice()].concat()
}

fn check<T: AvroMessage + std::fmt::Debug>(name: &str) {
    let history = T::history();
    assert!(!history.is_empty(), "{name} lists its schema history");
    let current = T::compiled();
    assert!(
        history.iter().any(|old| old.fingerprint == current.fingerprint),
        "{name}: the current schema is not in its history; copy it to avro/history/ with the next version number"
    );
    for (index, old) in history.iter().enumerate() {
        let decoded = T::decode(&framed(old));
        assert!(decoded.is_ok(), "{name} v{}: {:?}", index + 1, decoded.err());
    }
}

#[test]
fn raw_batch_reads_every_earlier_schema() {
    check::<RawBatch>("RawBatch");
}

#[test]
fn session_update_reads_every_earlier_schema() {
    check::<SessionUpdate>("SessionUpdate");
}

#[test]
fn session_state_reads_every_earlier_schema() {
    check::<SessionState>("SessionState");
}
