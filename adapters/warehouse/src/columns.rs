//! A row type and its column list, written once.
//!
//! [`table_row!`](crate::table_row) defines a struct and implements [`Table`] for it: the
//! columns are the fields, in field order, with their types in each warehouse taken from the
//! field's Rust type ([`ColumnType`]). Both warehouses build their insert, upsert and select
//! statements from [`Table::COLUMNS`], and ClickHouse reads and writes the struct itself in
//! RowBinary (the `clickhouse::Row` derive names the same fields in the same order), so a field
//! added to the struct is in every statement at once. The `CREATE TABLE` statements stay
//! versioned migrations; a test in each warehouse checks that the table a database ends up with
//! has exactly these columns and types.

/// One column: its name and its declared type in each warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    /// The ClickHouse type, which is also what RowBinary carries: with validation off the
    /// client does not check it, so it must match the Rust type exactly.
    pub clickhouse: &'static str,
    /// The SQLite declared type (`TEXT`, `INTEGER` or `REAL`).
    pub sqlite: &'static str,
}

/// The Rust types a column may have, with their warehouse types.
pub trait ColumnType {
    const CLICKHOUSE: &'static str;
    const SQLITE: &'static str;
}

impl ColumnType for String {
    const CLICKHOUSE: &'static str = "String";
    const SQLITE: &'static str = "TEXT";
}

impl ColumnType for i64 {
    const CLICKHOUSE: &'static str = "Int64";
    const SQLITE: &'static str = "INTEGER";
}

impl ColumnType for i32 {
    const CLICKHOUSE: &'static str = "Int32";
    const SQLITE: &'static str = "INTEGER";
}

impl ColumnType for f64 {
    const CLICKHOUSE: &'static str = "Float64";
    const SQLITE: &'static str = "REAL";
}

/// RowBinary writes a `bool` as one byte, 0 or 1, and reads only those back.
impl ColumnType for bool {
    const CLICKHOUSE: &'static str = "UInt8";
    const SQLITE: &'static str = "INTEGER";
}

/// A row type whose fields are its table's columns.
pub trait Table: Sized {
    /// Every column, in field order.
    const COLUMNS: &'static [Column];

    /// The values of the row's columns, in order, for a SQLite statement.
    fn sqlite_values(self) -> Vec<rusqlite::types::Value>;

    /// The row from a SQLite result whose first columns are [`Table::COLUMNS`].
    fn from_sqlite(row: &rusqlite::Row<'_>) -> Result<Self, rusqlite::Error>;

    /// The column names, comma separated, for a column list in SQL.
    fn column_list() -> String {
        let names: Vec<&str> = Self::COLUMNS.iter().map(|column| column.name).collect();
        names.join(", ")
    }
}

/// Defines a struct whose fields are the columns of a table, and implements [`Table`] for it.
/// Attributes on the struct and its fields are kept as written.
#[macro_export]
macro_rules! table_row {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty, )*
        }

        impl $crate::columns::Table for $name {
            const COLUMNS: &'static [$crate::columns::Column] = &[
                $( $crate::columns::Column {
                    name: stringify!($field),
                    clickhouse: <$ty as $crate::columns::ColumnType>::CLICKHOUSE,
                    sqlite: <$ty as $crate::columns::ColumnType>::SQLITE,
                }, )*
            ];

            fn sqlite_values(self) -> Vec<rusqlite::types::Value> {
                vec![ $( rusqlite::types::Value::from(self.$field), )* ]
            }

            fn from_sqlite(row: &rusqlite::Row<'_>) -> Result<Self, rusqlite::Error> {
                let mut index = 0usize;
                $(
                    let $field: $ty = row.get(index)?;
                    index += 1;
                )*
                debug_assert_eq!(index, <Self as $crate::columns::Table>::COLUMNS.len());
                Ok($name { $( $field, )* })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    crate::table_row! {
        /// A row with one more field than it had.
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "clickhouse", derive(::clickhouse::Row), clickhouse(crate = "::clickhouse"))]
        pub struct Widened {
            pub id: String,
            pub count: i64,
            pub open: bool,
            /// The field added last.
            pub added_later: f64,
        }
    }

    #[test]
    fn every_field_is_a_column_of_its_type_in_order() {
        let columns: Vec<(&str, &str, &str)> =
            Widened::COLUMNS.iter().map(|column| (column.name, column.clickhouse, column.sqlite)).collect();
        assert_eq!(
            columns,
            [
                ("id", "String", "TEXT"),
                ("count", "Int64", "INTEGER"),
                ("open", "UInt8", "INTEGER"),
                ("added_later", "Float64", "REAL"),
            ]
        );
        assert_eq!(Widened::column_list(), "id, count, open, added_later");
        // The ClickHouse client names the same columns in the same order.
        #[cfg(feature = "clickhouse")]
        assert_eq!(<Widened as ::clickhouse::Row>::COLUMN_NAMES, ["id", "count", "open", "added_later"]);
    }

    #[test]
    fn a_row_goes_through_sqlite_by_its_columns() {
        let connection = rusqlite::Connection::open_in_memory().unwrap();
        connection
            .execute_batch("CREATE TABLE widened (id TEXT, count INTEGER, open INTEGER, added_later REAL)")
            .unwrap();
        let row = Widened { id: "a".into(), count: 3, open: true, added_later: 0.5 };
        let sql = format!("INSERT INTO widened ({}) VALUES (?1, ?2, ?3, ?4)", Widened::column_list());
        connection.execute(&sql, rusqlite::params_from_iter(row.clone().sqlite_values())).unwrap();
        let sql = format!("SELECT {} FROM widened", Widened::column_list());
        let read = connection.query_row(&sql, [], Widened::from_sqlite).unwrap();
        assert_eq!(read, row);
    }
}
