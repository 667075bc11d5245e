//! [`SqsQueue`]: the job queue on Amazon SQS.

use crate::error::{queue_error, Failure};
use crate::{AwsConfig, QueueLocation};
use async_trait::async_trait;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, QueueAttributeName,
};
use aws_sdk_sqs::Client;
use stapel_store::{
    check_batch_size, check_receive_options, check_visibility, JobQueue, OutgoingMessage,
    QueueDepth, QueueError, ReceiptHandle, ReceiveOptions, ReceivedMessage,
};
use std::time::Duration;

/// A queue's redrive policy: where messages go after too many deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedrivePolicy {
    /// ARN of the dead-letter queue.
    pub dead_letter_target_arn: String,
    /// Deliveries before a message moves there.
    pub max_receive_count: u32,
}

impl RedrivePolicy {
    /// Parse SQS's `RedrivePolicy` attribute, a JSON document whose `maxReceiveCount` arrives as
    /// a number or a string depending on who wrote it.
    pub fn parse(json: &str) -> Option<Self> {
        let value: serde_json::Value = serde_json::from_str(json).ok()?;
        let dead_letter_target_arn = value.get("deadLetterTargetArn")?.as_str()?.to_owned();
        let count = value.get("maxReceiveCount")?;
        let max_receive_count = match count {
            serde_json::Value::Number(number) => u32::try_from(number.as_u64()?).ok()?,
            serde_json::Value::String(text) => text.parse().ok()?,
            _ => return None,
        };
        Some(Self {
            dead_letter_target_arn,
            max_receive_count,
        })
    }

    /// The JSON SQS expects in the `RedrivePolicy` attribute.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "deadLetterTargetArn": self.dead_letter_target_arn,
            "maxReceiveCount": self.max_receive_count.to_string(),
        })
        .to_string()
    }

    /// The dead-letter queue's name: the last field of its ARN.
    pub fn dead_letter_queue_name(&self) -> &str {
        self.dead_letter_target_arn
            .rsplit(':')
            .next()
            .unwrap_or(&self.dead_letter_target_arn)
    }
}

/// A [`JobQueue`] on one SQS queue (standard, not FIFO).
///
/// Only the small job message travels through SQS; the file stays in the object store (the
/// claim-check pattern), well inside SQS's message size limit.
#[derive(Debug, Clone)]
pub struct SqsQueue {
    client: Client,
    name: String,
    url: String,
    redrive: Option<RedrivePolicy>,
}

impl SqsQueue {
    /// Resolve the queue and read its redrive policy once: SQS, not this process, decides when
    /// a message is dead-lettered, so workers must know the queue's actual setting. A missing
    /// queue fails here, at start-up, with a message that says what to fix.
    pub async fn open(config: &AwsConfig, location: &QueueLocation) -> Result<Self, QueueError> {
        let client = config.sqs_client();
        let name = location.name().to_owned();
        let url = match location {
            QueueLocation::Url(url) => url.clone(),
            QueueLocation::Name(name) => client
                .get_queue_url()
                .queue_name(name)
                .send()
                .await
                .map_err(|error| queue_error(name, "GetQueueUrl", &error))?
                .queue_url()
                .ok_or_else(|| {
                    QueueError::Backend(format!("SQS GetQueueUrl for {name:?} returned no URL"))
                })?
                .to_owned(),
        };
        let attributes = client
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::RedrivePolicy)
            .send()
            .await
            .map_err(|error| queue_error(&name, "GetQueueAttributes", &error))?;
        let redrive = attributes
            .attributes()
            .and_then(|attributes| attributes.get(&QueueAttributeName::RedrivePolicy))
            .and_then(|json| RedrivePolicy::parse(json));
        Ok(Self {
            client,
            name,
            url,
            redrive,
        })
    }

    /// The queue's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The queue's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The redrive policy read at open, if the queue has one.
    pub fn redrive_policy(&self) -> Option<&RedrivePolicy> {
        self.redrive.as_ref()
    }

    /// Treat the queue as dead-lettering after `max_receives` deliveries, for credentials that
    /// may not read queue attributes. It must match the queue's real policy: workers use it to
    /// decide when an attempt is the last.
    pub fn with_max_receives(mut self, max_receives: u32, dead_letter_target_arn: String) -> Self {
        self.redrive = Some(RedrivePolicy {
            dead_letter_target_arn,
            max_receive_count: max_receives,
        });
        self
    }

    fn error<E>(&self, operation: &str, error: &aws_sdk_sqs::error::SdkError<E>) -> QueueError
    where
        E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        queue_error(&self.name, operation, error)
    }

    /// Map an error of a call that takes a receipt handle: a handle SQS no longer honours means
    /// this consumer lost the message, which callers handle differently from an outage.
    fn receipt_error<E>(
        &self,
        operation: &str,
        error: &aws_sdk_sqs::error::SdkError<E>,
    ) -> QueueError
    where
        E: aws_sdk_sqs::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let failure = Failure::of(error);
        let receipt_refused = failure.code_is(&[
            "ReceiptHandleIsInvalid",
            "AWS.SimpleQueueService.MessageNotInflight",
            "MessageNotInflight",
        ]) || (failure.code_is(&["InvalidParameterValue"])
            && failure.text.contains("ReceiptHandle"));
        if receipt_refused {
            QueueError::ReceiptInvalid
        } else {
            self.error(operation, error)
        }
    }
}

/// SQS counts in whole seconds; round up so a wait or timeout is never shorter than asked.
fn whole_seconds(duration: Duration) -> i32 {
    let seconds = duration.as_secs() + u64::from(duration.subsec_nanos() > 0);
    i32::try_from(seconds).unwrap_or(i32::MAX)
}

#[async_trait]
impl JobQueue for SqsQueue {
    async fn send(&self, message: OutgoingMessage) -> Result<String, QueueError> {
        let sent = self
            .client
            .send_message()
            .queue_url(&self.url)
            .message_body(message.body)
            // On a standard queue the group id turns on SQS fair queues: one tenant's flood
            // is spread out instead of starving the others.
            .message_group_id(message.group)
            .send()
            .await
            .map_err(|error| self.error("SendMessage", &error))?;
        sent.message_id()
            .map(str::to_owned)
            .ok_or_else(|| QueueError::Backend("SQS SendMessage returned no message id".into()))
    }

    async fn receive(&self, options: &ReceiveOptions) -> Result<Vec<ReceivedMessage>, QueueError> {
        check_receive_options(options)?;
        let received = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(options.max_messages as i32)
            .visibility_timeout(whole_seconds(options.visibility_timeout))
            .wait_time_seconds(whole_seconds(options.wait_time))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|error| self.error("ReceiveMessage", &error))?;
        received
            .messages()
            .iter()
            .map(|message| {
                let (Some(message_id), Some(receipt)) =
                    (message.message_id(), message.receipt_handle())
                else {
                    return Err(QueueError::Backend(
                        "SQS ReceiveMessage returned a message without id or receipt handle".into(),
                    ));
                };
                let receive_count = message
                    .attributes()
                    .and_then(|attributes| {
                        attributes.get(&MessageSystemAttributeName::ApproximateReceiveCount)
                    })
                    .and_then(|count| count.parse().ok())
                    // Asked for above; a missing count would understate attempts, never skip one.
                    .unwrap_or(1);
                Ok(ReceivedMessage {
                    message_id: message_id.to_owned(),
                    body: message.body().unwrap_or_default().to_owned(),
                    receipt: ReceiptHandle(receipt.to_owned()),
                    receive_count,
                })
            })
            .collect()
    }

    async fn extend_visibility(
        &self,
        receipt: &ReceiptHandle,
        timeout: Duration,
    ) -> Result<(), QueueError> {
        check_visibility(timeout)?;
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(&receipt.0)
            .visibility_timeout(whole_seconds(timeout))
            .send()
            .await
            .map_err(|error| self.receipt_error("ChangeMessageVisibility", &error))?;
        Ok(())
    }

    async fn delete_batch(
        &self,
        receipts: &[ReceiptHandle],
    ) -> Result<Vec<Result<(), QueueError>>, QueueError> {
        check_batch_size(receipts.len())?;
        let entries = receipts
            .iter()
            .enumerate()
            .map(|(index, receipt)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(index.to_string())
                    .receipt_handle(&receipt.0)
                    .build()
                    .map_err(|error| QueueError::InvalidArgument(error.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let answer = self
            .client
            .delete_message_batch()
            .queue_url(&self.url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|error| self.error("DeleteMessageBatch", &error))?;
        // SQS answers per entry id; an entry it mentions nowhere did not happen.
        let mut results: Vec<Result<(), QueueError>> = receipts
            .iter()
            .map(|_| {
                Err(QueueError::Backend(
                    "DeleteMessageBatch did not answer for this entry".into(),
                ))
            })
            .collect();
        let count = results.len();
        let slot = |id: &str| id.parse::<usize>().ok().filter(|index| *index < count);
        for done in answer.successful() {
            if let Some(index) = slot(done.id()) {
                results[index] = Ok(());
            }
        }
        for failed in answer.failed() {
            if let Some(index) = slot(failed.id()) {
                results[index] = Err(match failed.code() {
                    "ReceiptHandleIsInvalid" | "AWS.SimpleQueueService.MessageNotInflight" => {
                        QueueError::ReceiptInvalid
                    }
                    code => QueueError::Backend(format!(
                        "DeleteMessageBatch on {}: {code}: {}",
                        self.name,
                        failed.message().unwrap_or("")
                    )),
                });
            }
        }
        Ok(results)
    }

    async fn delete(&self, receipt: &ReceiptHandle) -> Result<(), QueueError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(&receipt.0)
            .send()
            .await
            .map_err(|error| self.receipt_error("DeleteMessage", &error))?;
        Ok(())
    }

    async fn depth(&self) -> Result<QueueDepth, QueueError> {
        let output = self
            .client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
            .send()
            .await
            .map_err(|error| self.error("GetQueueAttributes", &error))?;
        let count = |name: &QueueAttributeName| {
            output
                .attributes()
                .and_then(|attributes| attributes.get(name))
                .and_then(|value| value.parse::<u64>().ok())
                .unwrap_or(0)
        };
        Ok(QueueDepth {
            visible: count(&QueueAttributeName::ApproximateNumberOfMessages),
            in_flight: count(&QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        })
    }

    fn max_receives(&self) -> Option<u32> {
        self.redrive.as_ref().map(|policy| policy.max_receive_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redrive_policies_parse_counts_as_numbers_or_strings() {
        let arn = "arn:aws:sqs:eu-central-1:123456789012:stapel-jobs-dead";
        for json in [
            format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":5}}"#),
            format!(r#"{{"deadLetterTargetArn":"{arn}","maxReceiveCount":"5"}}"#),
        ] {
            let policy = RedrivePolicy::parse(&json).unwrap();
            assert_eq!(policy.max_receive_count, 5);
            assert_eq!(policy.dead_letter_queue_name(), "stapel-jobs-dead");
            assert_eq!(RedrivePolicy::parse(&policy.to_json()), Some(policy));
        }
        assert_eq!(RedrivePolicy::parse(r#"{"maxReceiveCount":5}"#), None);
        assert_eq!(RedrivePolicy::parse("not json"), None);
    }

    #[test]
    fn durations_round_up_to_whole_seconds() {
        assert_eq!(whole_seconds(Duration::ZERO), 0);
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(20)), 20);
        assert_eq!(whole_seconds(Duration::from_millis(2500)), 3);
    }
}
