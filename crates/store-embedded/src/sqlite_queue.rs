//! A durable queue with SQS semantics in SQLite.
//!
//! One table holds the messages of every queue in the database (a queue and its dead-letter
//! queue are two names in the same table). Each operation is a single SQL statement, so its
//! effect is atomic across processes; WAL mode lets readers and one writer proceed together.

use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use sqlx::Row;
use stapel_store::{
    check_receive_options, check_visibility, JobQueue, OutgoingMessage, QueueDepth, QueueError,
    ReceiptHandle, ReceiveOptions, ReceivedMessage,
};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// How often a long poll re-checks the table: other processes' sends cannot wake us directly.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS queue_messages (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id     TEXT    NOT NULL UNIQUE,
    queue          TEXT    NOT NULL,
    message_group  TEXT    NOT NULL,
    body           TEXT    NOT NULL,
    sent_at_ms     INTEGER NOT NULL,
    visible_at_ms  INTEGER NOT NULL,
    receive_count  INTEGER NOT NULL DEFAULT 0,
    receipt        TEXT
);
CREATE INDEX IF NOT EXISTS queue_messages_ready ON queue_messages (queue, visible_at_ms, seq);
CREATE UNIQUE INDEX IF NOT EXISTS queue_messages_receipt ON queue_messages (receipt);
";

/// Where a message goes after too many deliveries (SQS redrive policy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redrive {
    /// Name of the dead-letter queue in the same database.
    pub dead_letter_queue: String,
    /// Deliveries allowed before a message is dead-lettered.
    pub max_receives: u32,
}

/// Open (creating if needed) the queue database file and its schema.
pub async fn open_queue_database(path: &Path) -> Result<SqlitePool, QueueError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL in WAL mode: a committed send survives any process crash; only an OS crash or
        // power loss can lose the last commits. The uploaded file itself is fsynced.
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        // Several worker processes write to the same file; wait for the lock, don't fail.
        .busy_timeout(Duration::from_secs(30));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(backend)?;
    sqlx::raw_sql(SCHEMA)
        .execute(&pool)
        .await
        .map_err(backend)?;
    Ok(pool)
}

fn backend(error: sqlx::Error) -> QueueError {
    QueueError::Backend(error.to_string())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

/// One named queue in a SQLite database.
#[derive(Debug, Clone)]
pub struct SqliteQueue {
    pool: SqlitePool,
    name: String,
    redrive: Option<Redrive>,
    /// Wakes long polls in this process as soon as this process sends.
    sent: Arc<Notify>,
}

impl SqliteQueue {
    /// A queue named `name` in the database behind `pool`.
    pub fn new(pool: SqlitePool, name: impl Into<String>, redrive: Option<Redrive>) -> Self {
        Self {
            pool,
            name: name.into(),
            redrive,
            sent: Arc::new(Notify::new()),
        }
    }

    /// The queue's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Move messages that used up their deliveries to the dead-letter queue.
    async fn dead_letter_exhausted(&self, now: i64) -> Result<(), QueueError> {
        let Some(redrive) = &self.redrive else {
            return Ok(());
        };
        let moved = sqlx::query(
            "UPDATE queue_messages
                SET queue = ?1, receive_count = 0, visible_at_ms = ?2, receipt = NULL
              WHERE queue = ?3 AND visible_at_ms <= ?2 AND receive_count >= ?4",
        )
        .bind(&redrive.dead_letter_queue)
        .bind(now)
        .bind(&self.name)
        .bind(redrive.max_receives)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        if moved.rows_affected() > 0 {
            tracing::warn!(
                queue = %self.name,
                dead_letter_queue = %redrive.dead_letter_queue,
                count = moved.rows_affected(),
                "dead-lettered messages after {} deliveries",
                redrive.max_receives
            );
        }
        Ok(())
    }

    async fn receive_now(
        &self,
        max_messages: usize,
        visibility: Duration,
    ) -> Result<Vec<ReceivedMessage>, QueueError> {
        let now = now_ms();
        self.dead_letter_exhausted(now).await?;
        let max_receives = self
            .redrive
            .as_ref()
            .map_or(i64::MAX, |r| i64::from(r.max_receives));
        // One statement claims the messages: two consumers can never claim the same delivery.
        let rows = sqlx::query(
            "UPDATE queue_messages
                SET receive_count = receive_count + 1,
                    visible_at_ms = ?1,
                    receipt = lower(hex(randomblob(16)))
              WHERE seq IN (SELECT seq FROM queue_messages
                             WHERE queue = ?2 AND visible_at_ms <= ?3 AND receive_count < ?4
                             ORDER BY seq LIMIT ?5)
          RETURNING seq, message_id, body, receive_count, receipt",
        )
        .bind(now + visibility.as_millis() as i64)
        .bind(&self.name)
        .bind(now)
        .bind(max_receives)
        .bind(max_messages as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let mut messages: Vec<(i64, ReceivedMessage)> = rows
            .into_iter()
            .map(|row| {
                (
                    row.get::<i64, _>("seq"),
                    ReceivedMessage {
                        message_id: row.get("message_id"),
                        body: row.get("body"),
                        receipt: ReceiptHandle(row.get("receipt")),
                        receive_count: row.get::<i64, _>("receive_count") as u32,
                    },
                )
            })
            .collect();
        messages.sort_by_key(|(seq, _)| *seq);
        Ok(messages.into_iter().map(|(_, message)| message).collect())
    }
}

#[async_trait]
impl JobQueue for SqliteQueue {
    async fn send(&self, message: OutgoingMessage) -> Result<String, QueueError> {
        let message_id = uuid::Uuid::now_v7().to_string();
        let now = now_ms();
        sqlx::query(
            "INSERT INTO queue_messages
                (message_id, queue, message_group, body, sent_at_ms, visible_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        )
        .bind(&message_id)
        .bind(&self.name)
        .bind(&message.group)
        .bind(&message.body)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        self.sent.notify_waiters();
        Ok(message_id)
    }

    async fn receive(&self, options: &ReceiveOptions) -> Result<Vec<ReceivedMessage>, QueueError> {
        check_receive_options(options)?;
        let deadline = Instant::now() + options.wait_time;
        loop {
            // Register interest before checking, so a send between check and wait is not missed.
            let sent = self.sent.notified();
            let messages = self
                .receive_now(options.max_messages, options.visibility_timeout)
                .await?;
            let now = Instant::now();
            if !messages.is_empty() || now >= deadline {
                return Ok(messages);
            }
            let nap = POLL_INTERVAL.min(deadline - now);
            let _ = tokio::time::timeout(nap, sent).await;
        }
    }

    async fn extend_visibility(
        &self,
        receipt: &ReceiptHandle,
        timeout: Duration,
    ) -> Result<(), QueueError> {
        check_visibility(timeout)?;
        let updated = sqlx::query(
            "UPDATE queue_messages SET visible_at_ms = ?1 WHERE receipt = ?2 AND queue = ?3",
        )
        .bind(now_ms() + timeout.as_millis() as i64)
        .bind(&receipt.0)
        .bind(&self.name)
        .execute(&self.pool)
        .await
        .map_err(backend)?;
        match updated.rows_affected() {
            0 => Err(QueueError::ReceiptInvalid),
            _ => Ok(()),
        }
    }

    async fn delete(&self, receipt: &ReceiptHandle) -> Result<(), QueueError> {
        let deleted = sqlx::query("DELETE FROM queue_messages WHERE receipt = ?1 AND queue = ?2")
            .bind(&receipt.0)
            .bind(&self.name)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        match deleted.rows_affected() {
            0 => Err(QueueError::ReceiptInvalid),
            _ => Ok(()),
        }
    }

    async fn depth(&self) -> Result<QueueDepth, QueueError> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(visible_at_ms <= ?1), 0) AS visible,
                    COALESCE(SUM(visible_at_ms > ?1), 0) AS in_flight
               FROM queue_messages WHERE queue = ?2",
        )
        .bind(now_ms())
        .bind(&self.name)
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(QueueDepth {
            visible: row.get::<i64, _>("visible") as u64,
            in_flight: row.get::<i64, _>("in_flight") as u64,
        })
    }

    fn max_receives(&self) -> Option<u32> {
        self.redrive.as_ref().map(|redrive| redrive.max_receives)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn queue_in(dir: &Path) -> SqliteQueue {
        let pool = open_queue_database(&dir.join("queue.db")).await.unwrap();
        SqliteQueue::new(pool, "jobs", None)
    }

    fn options(visibility: Duration) -> ReceiveOptions {
        ReceiveOptions {
            max_messages: 1,
            visibility_timeout: visibility,
            wait_time: Duration::ZERO,
        }
    }

    #[tokio::test]
    async fn messages_and_deliveries_survive_reopening_the_database() {
        let dir = tempfile::tempdir().unwrap();
        {
            let queue = queue_in(dir.path()).await;
            queue
                .send(OutgoingMessage {
                    body: "a".into(),
                    group: "t".into(),
                })
                .await
                .unwrap();
            queue
                .send(OutgoingMessage {
                    body: "b".into(),
                    group: "t".into(),
                })
                .await
                .unwrap();
            // "a" is in flight when this process's pool goes away, as in a crash.
            let got = queue
                .receive(&options(Duration::from_millis(300)))
                .await
                .unwrap();
            assert_eq!(got[0].body, "a");
        }
        let queue = queue_in(dir.path()).await;
        assert_eq!(
            queue.depth().await.unwrap(),
            QueueDepth {
                visible: 1,
                in_flight: 1
            }
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
        let got = queue
            .receive(&options(Duration::from_secs(30)))
            .await
            .unwrap();
        assert_eq!((got[0].body.as_str(), got[0].receive_count), ("a", 2));
    }

    #[tokio::test]
    async fn a_stale_receipt_can_neither_extend_nor_delete() {
        let dir = tempfile::tempdir().unwrap();
        let queue = queue_in(dir.path()).await;
        queue
            .send(OutgoingMessage {
                body: "a".into(),
                group: "t".into(),
            })
            .await
            .unwrap();
        let first = queue
            .receive(&options(Duration::from_millis(100)))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
        let second = queue
            .receive(&options(Duration::from_secs(30)))
            .await
            .unwrap();
        assert!(matches!(
            queue
                .extend_visibility(&first[0].receipt, Duration::from_secs(5))
                .await,
            Err(QueueError::ReceiptInvalid)
        ));
        assert!(matches!(
            queue.delete(&first[0].receipt).await,
            Err(QueueError::ReceiptInvalid)
        ));
        // The current holder is unaffected.
        queue.delete(&second[0].receipt).await.unwrap();
    }

    #[tokio::test]
    async fn queues_in_one_database_are_separate() {
        let dir = tempfile::tempdir().unwrap();
        let jobs = queue_in(dir.path()).await;
        let other = SqliteQueue::new(jobs.pool.clone(), "other", None);
        jobs.send(OutgoingMessage {
            body: "a".into(),
            group: "t".into(),
        })
        .await
        .unwrap();
        assert!(other
            .receive(&options(Duration::from_secs(1)))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(other.depth().await.unwrap(), QueueDepth::default());
    }
}
