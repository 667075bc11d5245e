//! The records conformance suite, and a throwaway PostgreSQL server for it.
//!
//! A backend's test file calls [`records_conformance!`](crate::records_conformance) with an
//! async factory of fresh, empty [`RecordsFixture`]s; every check runs as its own test.

use crate::{
    AdministrationSettings, DeadLetter, DeadLetterQuery, DoneOutcome, InvoiceTwin, NewDocument,
    NewReview, ProposalAction, Records, RecordsError, ReviewOutcome, ReviewStatus, SupplierUpdate,
    Transition, WebSession,
};
use chrono::{NaiveDate, Utc};
use stapel_domain::{
    AdministrationId, BatchId, BookingProposal, Decimal, DocumentId, DocumentStatus, ErrorInfo,
    ExtractedInvoice, ProposalLine,
};
use std::any::Any;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};

/// Fresh, empty records plus whatever must outlive them.
pub struct RecordsFixture {
    /// The backend under test.
    pub records: Arc<dyn Records>,
    /// Dropped after the test.
    pub guard: Box<dyn Any + Send>,
}

/// Declare the records conformance tests for a backend.
#[macro_export]
macro_rules! records_conformance {
    ($make:expr) => {
        mod records_conformance {
            #[allow(unused_imports)]
            use super::*;
            $crate::__records_cases!(
                $make,
                tenants_administrations_and_api_keys,
                web_sessions_live_until_they_expire_or_end,
                administrations_named_at_upload_keep_their_chart,
                a_document_walks_its_lifecycle,
                documents_recorded_but_never_enqueued_are_found,
                done_is_final_for_redeliveries,
                racing_finishers_record_one_outcome,
                batch_counts_every_status,
                batches_named_by_the_uploader_are_shared_per_tenant,
                done_stores_result_and_first_proposal_version,
                duplicates_by_supplier_number_and_by_content,
                review_queue_puts_needs_review_first,
                reviews_append_history_and_feed_exports,
                a_review_can_correct_the_invoice_fields,
                unfinished_documents_cannot_be_reviewed,
                supplier_memory_upserts_and_counts,
                dead_letters_are_kept_once,
                dead_letters_by_tenant_and_redrive,
                documents_listed_by_status,
                unknown_references_are_refused,
            );
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __records_cases {
    ($make:expr, $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let fixture = $make.await;
                $crate::testing::cases::$case(&*fixture.records).await;
            }
        )+
    };
}

/// The checks.
pub mod cases {
    use super::*;

    const TENANT: &str = "firm-a";

    async fn setup(records: &dyn Records) -> (AdministrationId, BatchId) {
        records.ensure_tenant(TENANT, "Firm A").await.unwrap();
        let administration = records
            .ensure_administration(TENANT, "Client 1")
            .await
            .unwrap();
        let batch = BatchId::new();
        records
            .ensure_batch(batch, TENANT, administration.id)
            .await
            .unwrap();
        (administration.id, batch)
    }

    async fn add_document(
        records: &dyn Records,
        administration: AdministrationId,
        batch: BatchId,
        sha256: &str,
    ) -> NewDocument {
        let id = DocumentId::new();
        let document = NewDocument {
            id,
            batch_id: batch,
            tenant: TENANT.into(),
            administration_id: administration,
            filename: format!("{id}.pdf"),
            object_key: format!("documents/{id}/original"),
            content_sha256: sha256.into(),
            size_bytes: 1234,
        };
        records.insert_document(&document).await.unwrap();
        document
    }

    fn invoice(number: &str, vat_id: &str, issue_date: NaiveDate) -> ExtractedInvoice {
        ExtractedInvoice {
            supplier_name: Some("Acme B.V.".into()),
            supplier_vat_id: Some(vat_id.into()),
            invoice_number: Some(number.into()),
            issue_date: Some(issue_date),
            gross_total: Some(Decimal::new(12100, 2)),
            ..Default::default()
        }
    }

    fn proposal(needs_review: bool) -> BookingProposal {
        let line = |account: &str, debit: i64, credit: i64| ProposalLine {
            account: account.into(),
            description: "x".into(),
            debit: Decimal::new(debit, 2),
            credit: Decimal::new(credit, 2),
            vat_code: None,
        };
        BookingProposal {
            lines: vec![
                line("4000", 10000, 0),
                line("1500", 2100, 0),
                line("1600", 0, 12100),
            ],
            needs_review,
            reasons: if needs_review {
                vec!["Check it.".into()]
            } else {
                vec![]
            },
            cost_centre: None,
            due_date: None,
        }
    }

    fn date(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 10, day).unwrap()
    }

    async fn finish(
        records: &dyn Records,
        id: DocumentId,
        invoice: &ExtractedInvoice,
        proposal: &BookingProposal,
    ) -> Transition {
        records.start_attempt(id).await.unwrap();
        records
            .finish_done(
                id,
                DoneOutcome {
                    result_key: "k",
                    invoice,
                    proposal,
                },
            )
            .await
            .unwrap()
    }

    /// A document recorded but never marked enqueued is found once the grace period has
    /// passed, oldest first and bounded; marking it (or a worker starting it, or its failure)
    /// takes it off the list, and marking is idempotent.
    pub async fn documents_recorded_but_never_enqueued_are_found(records: &dyn Records) {
        let (administration, batch) = setup(records).await;
        let first = add_document(records, administration, batch, "a").await;
        let second = add_document(records, administration, batch, "b").await;
        let started = add_document(records, administration, batch, "c").await;
        let failed = add_document(records, administration, batch, "d").await;
        let sent = add_document(records, administration, batch, "e").await;
        records.start_attempt(started.id).await.unwrap();
        // A failed attempt that will be retried goes back to `queued`: its job exists.
        records
            .finish_failed(started.id, &ErrorInfo::new("x.y", "retry"), true)
            .await
            .unwrap();
        records
            .finish_failed(
                failed.id,
                &ErrorInfo::new("ingest.enqueue_failed", "no"),
                false,
            )
            .await
            .unwrap();
        records.mark_enqueued(&[sent.id]).await.unwrap();
        let record = records.document(sent.id).await.unwrap().unwrap();
        assert!(record.enqueued_at.is_some(), "{record:?}");
        assert_eq!(
            records
                .document(first.id)
                .await
                .unwrap()
                .unwrap()
                .enqueued_at,
            None
        );

        // Within the grace period nothing is a candidate.
        let before_all = Utc::now() - chrono::Duration::hours(1);
        assert!(records
            .unqueued_documents(before_all, 10)
            .await
            .unwrap()
            .is_empty());
        let now = Utc::now() + chrono::Duration::seconds(1);
        let ids = |found: Vec<crate::DocumentRecord>| -> Vec<DocumentId> {
            found.into_iter().map(|record| record.document.id).collect()
        };
        assert_eq!(
            ids(records.unqueued_documents(now, 10).await.unwrap()),
            [first.id, second.id]
        );
        let found = records.unqueued_documents(now, 1).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].document, first);
        assert_eq!(found[0].status, DocumentStatus::Queued);

        // Marked (twice: a second dispatcher re-sending is harmless), it is off the list;
        // unknown ids are skipped.
        records
            .mark_enqueued(&[first.id, DocumentId::new()])
            .await
            .unwrap();
        let marked_at = records
            .document(first.id)
            .await
            .unwrap()
            .unwrap()
            .enqueued_at;
        records.mark_enqueued(&[first.id]).await.unwrap();
        assert_eq!(
            records
                .document(first.id)
                .await
                .unwrap()
                .unwrap()
                .enqueued_at,
            marked_at
        );
        assert_eq!(
            ids(records.unqueued_documents(now, 10).await.unwrap()),
            [second.id]
        );
        records.mark_enqueued(&[]).await.unwrap();
    }

    /// Tenants and administrations are idempotent; keys authenticate until revoked.
    pub async fn tenants_administrations_and_api_keys(records: &dyn Records) {
        records.ensure_tenant(TENANT, "Firm A").await.unwrap();
        records.ensure_tenant(TENANT, "Firm A again").await.unwrap();
        let first = records
            .ensure_administration(TENANT, "Client 1")
            .await
            .unwrap();
        let again = records
            .ensure_administration(TENANT, "Client 1")
            .await
            .unwrap();
        assert_eq!(first, again);
        assert_eq!(first.chart, "generic");
        assert_eq!(
            records.administration(first.id).await.unwrap(),
            Some(first.clone())
        );
        assert_eq!(
            records
                .administration(AdministrationId::new())
                .await
                .unwrap(),
            None
        );

        let key = records
            .create_api_key(TENANT, "ci", "hash-1")
            .await
            .unwrap();
        assert_eq!(
            records
                .tenant_for_api_key("hash-1")
                .await
                .unwrap()
                .as_deref(),
            Some(TENANT)
        );
        assert_eq!(records.tenant_for_api_key("hash-2").await.unwrap(), None);
        let second = records
            .create_api_key(TENANT, "laptop", "hash-2")
            .await
            .unwrap();
        assert!(records.revoke_api_key(key.id).await.unwrap());
        assert!(!records.revoke_api_key(key.id).await.unwrap());
        assert_eq!(records.tenant_for_api_key("hash-1").await.unwrap(), None);

        records.ensure_tenant("firm-b", "Firm B").await.unwrap();
        let theirs = records
            .create_api_key("firm-b", "ci", "hash-3")
            .await
            .unwrap();
        let listed = records.api_keys(Some(TENANT)).await.unwrap();
        let summary: Vec<(uuid::Uuid, &str, bool)> = listed
            .iter()
            .map(|key| (key.id, key.label.as_str(), key.revoked_at.is_some()))
            .collect();
        assert_eq!(
            summary,
            [(key.id, "ci", true), (second.id, "laptop", false)]
        );
        let everyone = records.api_keys(None).await.unwrap();
        assert_eq!(everyone.len(), 3);
        assert!(everyone.iter().any(|key| key.id == theirs.id));
    }

    /// Web sessions are found by their hash until they expire or end; expired ones are not.
    pub async fn web_sessions_live_until_they_expire_or_end(records: &dyn Records) {
        records.ensure_tenant(TENANT, "Firm A").await.unwrap();
        let session = |hash: &str, expires_at| WebSession {
            id_hash: hash.into(),
            tenant: TENANT.into(),
            csrf_token: format!("csrf-{hash}"),
            expires_at,
        };
        // Whole seconds, so both databases return exactly what was stored.
        let later = chrono::DateTime::from_timestamp(Utc::now().timestamp() + 3600, 0).unwrap();
        let live = session("live", later);
        records.create_web_session(&live).await.unwrap();
        let past = Utc::now() - chrono::Duration::seconds(1);
        records
            .create_web_session(&session("expired", past))
            .await
            .unwrap();
        assert_eq!(records.web_session("live").await.unwrap(), Some(live));
        assert_eq!(records.web_session("expired").await.unwrap(), None);
        assert_eq!(records.web_session("unknown").await.unwrap(), None);
        records.end_web_session("live").await.unwrap();
        assert_eq!(records.web_session("live").await.unwrap(), None);
        records.end_web_session("live").await.unwrap();
        let stranger = WebSession {
            tenant: "nobody".into(),
            ..session("stranger", later)
        };
        assert!(records.create_web_session(&stranger).await.is_err());
    }

    /// An administration named at upload is created with its chart and country; naming it
    /// again returns it as stored, whatever the second call says.
    pub async fn administrations_named_at_upload_keep_their_chart(records: &dyn Records) {
        records.ensure_tenant(TENANT, "Firm A").await.unwrap();
        let settings = AdministrationSettings {
            chart: Some("de-skr03"),
            country: Some("DE"),
        };
        let created = records
            .ensure_administration_with(TENANT, "Müller GmbH", &settings)
            .await
            .unwrap();
        assert_eq!(
            (created.chart.as_str(), created.country.as_deref()),
            ("de-skr03", Some("DE"))
        );
        let again = records
            .ensure_administration_with(
                TENANT,
                "Müller GmbH",
                &AdministrationSettings {
                    chart: Some("nl-rgs"),
                    country: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(again, created);
        assert_eq!(
            records.administration(created.id).await.unwrap(),
            Some(created.clone())
        );
        assert_eq!(
            records
                .administration_named(TENANT, "Müller GmbH")
                .await
                .unwrap(),
            Some(created.clone())
        );
        assert_eq!(
            records
                .administration_named(TENANT, "Nobody")
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            records
                .administration_named("firm-b", "Müller GmbH")
                .await
                .unwrap(),
            None
        );
        let plain = records
            .ensure_administration_with(TENANT, "Plain", &AdministrationSettings::default())
            .await
            .unwrap();
        assert_eq!((plain.chart.as_str(), plain.country), ("generic", None));
        assert_eq!(
            records
                .ensure_administration(TENANT, "Müller GmbH")
                .await
                .unwrap(),
            created
        );
    }

    /// queued → processing → queued (retry) → processing → done.
    pub async fn a_document_walks_its_lifecycle(records: &dyn Records) {
        let (administration, batch) = setup(records).await;
        let doc = add_document(records, administration, batch, "aa").await;
        let stored = records.document(doc.id).await.unwrap().unwrap();
        assert_eq!(stored.document, doc);
        assert_eq!(
            (stored.status, stored.attempts, stored.review_status),
            (DocumentStatus::Queued, 0, None)
        );

        assert_eq!(
            records.start_attempt(doc.id).await.unwrap(),
            Transition::Applied
        );
        assert_eq!(
            records.document(doc.id).await.unwrap().unwrap().status,
            DocumentStatus::Processing
        );
        let error = ErrorInfo::new("store.unavailable", "try again");
        assert_eq!(
            records.finish_failed(doc.id, &error, true).await.unwrap(),
            Transition::Applied
        );
        let retrying = records.document(doc.id).await.unwrap().unwrap();
        assert_eq!(
            (retrying.status, retrying.error.clone()),
            (DocumentStatus::Queued, Some(error))
        );
        assert!(retrying.finished_at.is_none());

        let result = finish(
            records,
            doc.id,
            &invoice("1", "NL1", date(1)),
            &proposal(false),
        )
        .await;
        assert_eq!(result, Transition::Applied);
        let done = records.document(doc.id).await.unwrap().unwrap();
        assert_eq!(
            (done.status, done.attempts, done.error),
            (DocumentStatus::Done, 2, None)
        );
        assert_eq!(done.review_status, Some(ReviewStatus::Pending));
        assert!(done.finished_at.is_some() && done.started_at.is_some());

        let failed_doc = add_document(records, administration, batch, "ab").await;
        records.start_attempt(failed_doc.id).await.unwrap();
        let fatal = ErrorInfo::new("pdf.corrupt", "broken");
        records
            .finish_failed(failed_doc.id, &fatal, false)
            .await
            .unwrap();
        let failed = records.document(failed_doc.id).await.unwrap().unwrap();
        assert_eq!(
            (failed.status, failed.error),
            (DocumentStatus::Failed, Some(fatal))
        );
        assert!(failed.finished_at.is_some());
    }

    /// Nothing moves a `done` document; unknown ids say so.
    pub async fn done_is_final_for_redeliveries(records: &dyn Records) {
        let (administration, batch) = setup(records).await;
        let doc = add_document(records, administration, batch, "aa").await;
        finish(
            records,
            doc.id,
            &invoice("1", "NL1", date(1)),
            &proposal(false),
        )
        .await;
        let other = invoice("2", "NL2", date(2));
        let outcome = DoneOutcome {
            result_key: "k2",
            invoice: &other,
            proposal: &proposal(true),
        };
        assert_eq!(
            records.finish_done(doc.id, outcome).await.unwrap(),
            Transition::AlreadyDone
        );
        assert_eq!(
            records.start_attempt(doc.id).await.unwrap(),
            Transition::AlreadyDone
        );
        let error = ErrorInfo::new("x", "y");
        assert_eq!(
            records.finish_failed(doc.id, &error, false).await.unwrap(),
            Transition::AlreadyDone
        );
        let done = records.document(doc.id).await.unwrap().unwrap();
        assert_eq!(
            (done.status, done.result_key.as_deref(), done.attempts),
            (DocumentStatus::Done, Some("k"), 1)
        );
        assert_eq!(
            records
                .extraction(doc.id)
                .await
                .unwrap()
                .unwrap()
                .invoice_number
                .as_deref(),
            Some("1")
        );
        assert_eq!(
            records.start_attempt(DocumentId::new()).await.unwrap(),
            Transition::NotFound
        );
        let unknown = DoneOutcome {
            result_key: "k",
            invoice: &other,
            proposal: &proposal(false),
        };
        assert_eq!(
            records
                .finish_done(DocumentId::new(), unknown)
                .await
                .unwrap(),
            Transition::NotFound
        );
    }

    /// Eight workers finishing the same job at once: one wins, one result, one version.
    pub async fn racing_finishers_record_one_outcome(records: &dyn Records) {
        let (administration, batch) = setup(records).await;
        let doc = add_document(records, administration, batch, "aa").await;
        records.start_attempt(doc.id).await.unwrap();
        let outcomes = futures_join_all((0..8).map(|i| {
            let invoice = invoice(&format!("n{i}"), "NL1", date(1));
            let proposal = proposal(false);
            async move {
                records
                    .finish_done(
                        doc.id,
                        DoneOutcome {
                            result_key: "k",
                            invoice: &invoice,
                            proposal: &proposal,
                        },
                    )
                    .await
                    .unwrap()
            }
        }))
        .await;
        let applied = outcomes
            .iter()
            .filter(|o| **o == Transition::Applied)
            .count();
        assert_eq!(applied, 1, "{outcomes:?}");
        assert_eq!(records.proposal_history(doc.id).await.unwrap().len(), 1);
    }

    /// Progress counts include every status.
    pub async fn batch_counts_every_status(records: &dyn Records) {
        let (administration, batch) = setup(records).await;
        let mut docs = Vec::new();
        for i in 0..4 {
            docs.push(add_document(records, administration, batch, &format!("{i}")).await);
        }
        finish(
            records,
            docs[0].id,
            &invoice("1", "NL1", date(1)),
            &proposal(false),
        )
        .await;
        records.start_attempt(docs[1].id).await.unwrap();
        records
            .finish_failed(docs[2].id, &ErrorInfo::new("a", "b"), false)
            .await
            .unwrap();
        let summary = records.batch(batch).await.unwrap().unwrap();
        let counts: Vec<u64> = DocumentStatus::ALL
            .iter()
            .map(|s| summary.counts[s])
            .collect();
        assert_eq!(counts, [1, 1, 1, 1], "queued, processing, done, failed");
        assert_eq!(
            summary.document_ids,
            docs.iter().map(|d| d.id).collect::<Vec<_>>()
        );
        assert!(records.batch(BatchId::new()).await.unwrap().is_none());
        assert!(records.document(DocumentId::new()).await.unwrap().is_none());
    }

    /// A name finds the tenant's batch of that name, also when uploads race to create it;
    /// another tenant's batch of the same name is its own.
    pub async fn batches_named_by_the_uploader_are_shared_per_tenant(records: &dyn Records) {
        let (administration, unnamed) = setup(records).await;
        let name = || records.ensure_named_batch(TENANT, "March", administration);
        let (a, b, c, d) = tokio::join!(name(), name(), name(), name());
        let ids = [a.unwrap(), b.unwrap(), c.unwrap(), d.unwrap()];
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        assert_ne!(ids[0], unnamed);
        let summary = records.batch(ids[0]).await.unwrap().unwrap();
        assert_eq!(summary.name.as_deref(), Some("March"));
        assert_eq!(records.batch(unnamed).await.unwrap().unwrap().name, None);
        let april = records
            .ensure_named_batch(TENANT, "April", administration)
            .await
            .unwrap();
        assert_ne!(april, ids[0]);

        records.ensure_tenant("firm-b", "Firm B").await.unwrap();
        let other = records
            .ensure_administration("firm-b", "Client 1")
            .await
            .unwrap();
        let theirs = records
            .ensure_named_batch("firm-b", "March", other.id)
            .await
            .unwrap();
        assert_ne!(theirs, ids[0]);
    }

    /// The done transition stores the extraction and the machine's proposal as version 1.
    pub async fn done_stores_result_and_first_proposal_version(records: &dyn Records) {
        let (administration, batch) = setup(records).await;
        let doc = add_document(records, administration, batch, "aa").await;
        let read = invoice("2026-118", "NL123456789B01", date(5));
        finish(records, doc.id, &read, &proposal(true)).await;
        assert_eq!(records.extraction(doc.id).await.unwrap(), Some(read));
        let history = records.proposal_history(doc.id).await.unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(
            (history[0].version, history[0].action),
            (1, ProposalAction::Proposed)
        );
        assert_eq!(history[0].author, crate::MACHINE_AUTHOR);
        assert_eq!(history[0].proposal, proposal(true));
        assert!(history[0].proposal.is_balanced());
        assert_eq!(records.extraction(DocumentId::new()).await.unwrap(), None);

        // The batch's export period comes from its done documents' issue dates.
        let later = add_document(records, administration, batch, "ab").await;
        let read_later = invoice("2026-130", "NL123456789B01", date(20));
        finish(records, later.id, &read_later, &proposal(false)).await;
        add_document(records, administration, batch, "ac").await;
        assert_eq!(
            records.batch_issue_dates(batch).await.unwrap(),
            Some((date(5), date(20)))
        );
    }

    /// Duplicate lookups: same supplier and number (any file), with each one's gross amount,
    /// and same content.
    pub async fn duplicates_by_supplier_number_and_by_content(records: &dyn Records) {
        let (administration, batch) = setup(records).await;
        let a = add_document(records, administration, batch, "same").await;
        let b = add_document(records, administration, batch, "other").await;
        let c = add_document(records, administration, batch, "same").await;
        let d = add_document(records, administration, batch, "fourth").await;
        finish(
            records,
            a.id,
            &invoice("2026-118", "NL1", date(1)),
            &proposal(false),
        )
        .await;
        let reissued = ExtractedInvoice {
            gross_total: Some(Decimal::new(24200, 2)),
            ..invoice("2026-118", "NL1", date(1))
        };
        finish(records, b.id, &reissued, &proposal(false)).await;
        finish(
            records,
            c.id,
            &invoice("2026-119", "NL1", date(1)),
            &proposal(false),
        )
        .await;
        let unread = ExtractedInvoice {
            gross_total: None,
            ..invoice("2026-118", "NL1", date(1))
        };
        finish(records, d.id, &unread, &proposal(false)).await;
        let key = invoice("", "NL1", date(1)).supplier_key().unwrap();
        let mut expected = vec![
            InvoiceTwin {
                id: a.id,
                gross_total: Some(Decimal::new(12100, 2)),
            },
            InvoiceTwin {
                id: b.id,
                gross_total: Some(Decimal::new(24200, 2)),
            },
            InvoiceTwin {
                id: d.id,
                gross_total: None,
            },
        ];
        expected.sort_by_key(|twin| twin.id);
        assert_eq!(
            records
                .duplicates(administration, &key, "2026-118")
                .await
                .unwrap(),
            expected
        );
        assert!(records
            .duplicates(administration, &key, "9999")
            .await
            .unwrap()
            .is_empty());
        assert_eq!(
            records
                .documents_with_content(TENANT, "same")
                .await
                .unwrap(),
            vec![a.id, c.id]
        );
        assert!(records
            .documents_with_content("firm-b", "same")
            .await
            .unwrap()
            .is_empty());

        // A file uploaded over and over: the lookup stops at MAX_DUPLICATES, the oldest.
        let mut many = Vec::new();
        for _ in 0..crate::MAX_DUPLICATES + 3 {
            many.push(
                add_document(records, administration, batch, "many")
                    .await
                    .id,
            );
        }
        many.sort();
        let found = records
            .documents_with_content(TENANT, "many")
            .await
            .unwrap();
        assert_eq!(found, many[..crate::MAX_DUPLICATES as usize]);
    }

    /// Pending reviews, those that need review first, oldest first; reviewed ones leave.
    pub async fn review_queue_puts_needs_review_first(records: &dyn Records) {
        let (administration, batch) = setup(records).await;
        let calm = add_document(records, administration, batch, "1").await;
        let doubtful = add_document(records, administration, batch, "2").await;
        let unfinished = add_document(records, administration, batch, "3").await;
        finish(
            records,
            calm.id,
            &invoice("1", "NL1", date(1)),
            &proposal(false),
        )
        .await;
        finish(
            records,
            doubtful.id,
            &invoice("2", "NL1", date(1)),
            &proposal(true),
        )
        .await;
        assert_eq!(
            records.review_queue(administration, 10).await.unwrap(),
            vec![doubtful.id, calm.id]
        );
        assert_eq!(
            records.review_queue(administration, 1).await.unwrap(),
            vec![doubtful.id]
        );
        let review = NewReview {
            document_id: doubtful.id,
            author: "anna".into(),
            action: ProposalAction::Accepted,
            proposal: proposal(false),
            changes: None,
            invoice: None,
        };
        records.record_review(&review).await.unwrap();
        assert_eq!(
            records.review_queue(administration, 10).await.unwrap(),
            vec![calm.id]
        );
        let _ = unfinished;
        let other = records
            .ensure_administration(TENANT, "Client 2")
            .await
            .unwrap();
        assert!(records.review_queue(other.id, 10).await.unwrap().is_empty());
    }

    /// Reviews append versions (never overwrite) and reviewed documents appear in exports.
    pub async fn reviews_append_history_and_feed_exports(records: &dyn Records) {
        let (administration, batch) = setup(records).await;
        let october = add_document(records, administration, batch, "1").await;
        let november = add_document(records, administration, batch, "2").await;
        finish(
            records,
            october.id,
            &invoice("1", "NL1", date(15)),
            &proposal(true),
        )
        .await;
        finish(
            records,
            november.id,
            &invoice("2", "NL1", NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()),
            &proposal(false),
        )
        .await;
        let mut corrected = proposal(false);
        corrected.lines[0].account = "4100".into();
        let changes = serde_json::json!({"lines": [{"index": 0, "account": ["4000", "4100"]}]});
        let first = records
            .record_review(&NewReview {
                document_id: october.id,
                author: "anna".into(),
                action: ProposalAction::Corrected,
                proposal: corrected.clone(),
                changes: Some(changes.clone()),
                invoice: None,
            })
            .await
            .unwrap();
        assert_eq!(first, ReviewOutcome::Recorded { version: 2 });
        let second = records
            .record_review(&NewReview {
                document_id: october.id,
                author: "bert".into(),
                action: ProposalAction::Accepted,
                proposal: corrected.clone(),
                changes: None,
                invoice: None,
            })
            .await
            .unwrap();
        assert_eq!(second, ReviewOutcome::Recorded { version: 3 });
        let history = records.proposal_history(october.id).await.unwrap();
        let summary: Vec<(u32, ProposalAction, &str)> = history
            .iter()
            .map(|v| (v.version, v.action, v.author.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (1, ProposalAction::Proposed, "stapel"),
                (2, ProposalAction::Corrected, "anna"),
                (3, ProposalAction::Accepted, "bert")
            ]
        );
        assert_eq!(history[0].proposal, proposal(true), "the original is kept");
        assert_eq!(history[1].changes, Some(changes));
        assert!(history[1].created_at <= Utc::now());
        let reviewed = records.document(october.id).await.unwrap().unwrap();
        assert_eq!(reviewed.review_status, Some(ReviewStatus::Accepted));

        let in_october = records
            .reviewed_in_period(administration, date(1), date(31))
            .await
            .unwrap();
        assert_eq!(
            in_october,
            vec![october.id],
            "unreviewed and out-of-period documents are left out"
        );
        assert!(records
            .reviewed_in_period(administration, date(16), date(31))
            .await
            .unwrap()
            .is_empty());
    }

    /// A review that corrects the invoice's fields replaces the extraction and the columns
    /// copied from it: the export period and the duplicate rule follow the correction.
    pub async fn a_review_can_correct_the_invoice_fields(records: &dyn Records) {
        let (administration, batch) = setup(records).await;
        let misread = add_document(records, administration, batch, "1").await;
        let november = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        finish(
            records,
            misread.id,
            &invoice("1", "NL1", november),
            &proposal(false),
        )
        .await;
        let mut corrected = invoice("F-2026-77", "NL1", date(28));
        corrected.supplier_name = Some("Acme Benelux B.V.".into());
        let outcome = records
            .record_review(&NewReview {
                document_id: misread.id,
                author: "anna".into(),
                action: ProposalAction::Corrected,
                proposal: proposal(false),
                changes: Some(serde_json::json!({"fields": {"invoice_number": {"from": "1", "to": "F-2026-77"}}})),
                invoice: Some(corrected.clone()),
            })
            .await
            .unwrap();
        assert_eq!(outcome, ReviewOutcome::Recorded { version: 2 });
        assert_eq!(
            records.extraction(misread.id).await.unwrap(),
            Some(corrected)
        );
        assert_eq!(
            records
                .reviewed_in_period(administration, date(1), date(31))
                .await
                .unwrap(),
            vec![misread.id],
            "the corrected issue date decides the period"
        );
        let twins = records
            .duplicates(administration, "vat:NL1", "F-2026-77")
            .await
            .unwrap();
        let ids: Vec<DocumentId> = twins.iter().map(|twin| twin.id).collect();
        assert_eq!(ids, [misread.id], "the corrected number finds the document");
        assert!(records
            .duplicates(administration, "vat:NL1", "1")
            .await
            .unwrap()
            .is_empty());
    }

    /// Only done documents can be reviewed.
    pub async fn unfinished_documents_cannot_be_reviewed(records: &dyn Records) {
        let (administration, batch) = setup(records).await;
        let doc = add_document(records, administration, batch, "1").await;
        let review = |id| NewReview {
            document_id: id,
            author: "anna".into(),
            action: ProposalAction::Accepted,
            proposal: proposal(false),
            changes: None,
            invoice: None,
        };
        assert_eq!(
            records.record_review(&review(doc.id)).await.unwrap(),
            ReviewOutcome::NotReviewable
        );
        assert_eq!(
            records
                .record_review(&review(DocumentId::new()))
                .await
                .unwrap(),
            ReviewOutcome::NotFound
        );
        assert!(records.proposal_history(doc.id).await.unwrap().is_empty());
    }

    /// Supplier memory: insert, then update keeping what the update does not say.
    pub async fn supplier_memory_upserts_and_counts(records: &dyn Records) {
        let (administration, _) = setup(records).await;
        assert_eq!(
            records
                .supplier_memory(administration, "vat:NL1")
                .await
                .unwrap(),
            None
        );
        let first = SupplierUpdate {
            administration,
            supplier_key: "vat:NL1",
            supplier_name: Some("Acme"),
            expense_account: Some("4100"),
            vat_code: Some("NL-21"),
            cost_centre: Some("KST-10"),
            payment_terms_days: Some(14),
            updated_by: "anna",
        };
        records.remember_supplier(&first).await.unwrap();
        let second = SupplierUpdate {
            supplier_name: None,
            expense_account: Some("4200"),
            vat_code: None,
            cost_centre: None,
            payment_terms_days: Some(30),
            updated_by: "bert",
            ..first
        };
        records.remember_supplier(&second).await.unwrap();
        let memory = records
            .supplier_memory(administration, "vat:NL1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(memory.supplier_name.as_deref(), Some("Acme"));
        assert_eq!(memory.expense_account.as_deref(), Some("4200"));
        assert_eq!(memory.vat_code.as_deref(), Some("NL-21"));
        assert_eq!(memory.cost_centre.as_deref(), Some("KST-10"));
        assert_eq!(memory.payment_terms_days, Some(30));
        assert_eq!(
            (memory.times_confirmed, memory.updated_by.as_str()),
            (2, "bert")
        );
        let other = records
            .ensure_administration(TENANT, "Client 2")
            .await
            .unwrap();
        assert_eq!(
            records.supplier_memory(other.id, "vat:NL1").await.unwrap(),
            None
        );
    }

    fn dead_letter(id: &str, document_id: Option<DocumentId>, seconds: i64) -> DeadLetter {
        DeadLetter {
            message_id: id.into(),
            document_id,
            body: format!("{{\"v\":9,\"id\":\"{id}\"}}"),
            reason: ErrorInfo::new("job.unsupported_version", "version 9"),
            receive_count: 5,
            dead_lettered_at: chrono::DateTime::from_timestamp(1_790_000_000 + seconds, 0).unwrap(),
            redriven_at: None,
        }
    }

    fn all_letters(limit: u32) -> DeadLetterQuery<'static> {
        DeadLetterQuery {
            tenant: None,
            include_redriven: true,
            limit,
        }
    }

    /// Dead letters are kept once per message, newest first.
    pub async fn dead_letters_are_kept_once(records: &dyn Records) {
        let letter = |id: &str, seconds: i64| dead_letter(id, Some(DocumentId::new()), seconds);
        records.record_dead_letter(&letter("m1", 0)).await.unwrap();
        records.record_dead_letter(&letter("m2", 10)).await.unwrap();
        records.record_dead_letter(&letter("m1", 20)).await.unwrap();
        let kept = records.dead_letters(&all_letters(10)).await.unwrap();
        assert_eq!(
            kept.iter()
                .map(|d| d.message_id.as_str())
                .collect::<Vec<_>>(),
            ["m2", "m1"]
        );
        assert_eq!(kept[1].reason.code, "job.unsupported_version");
        assert_eq!(kept[1].receive_count, 5);
        assert_eq!(kept[1].redriven_at, None);
        assert_eq!(
            records.dead_letters(&all_letters(1)).await.unwrap().len(),
            1
        );
    }

    /// A tenant sees the dead letters of its own documents only; a redrive marks a letter once,
    /// and outstanding lists leave it out afterwards.
    pub async fn dead_letters_by_tenant_and_redrive(records: &dyn Records) {
        let (administration, batch) = setup(records).await;
        let ours = add_document(records, administration, batch, "s1").await;
        records.ensure_tenant("firm-b", "Firm B").await.unwrap();
        let theirs_admin = records
            .ensure_administration("firm-b", "Client")
            .await
            .unwrap();
        let theirs_batch = BatchId::new();
        records
            .ensure_batch(theirs_batch, "firm-b", theirs_admin.id)
            .await
            .unwrap();
        let theirs = NewDocument {
            id: DocumentId::new(),
            batch_id: theirs_batch,
            tenant: "firm-b".into(),
            administration_id: theirs_admin.id,
            filename: "b.pdf".into(),
            object_key: "documents/b/original".into(),
            content_sha256: "s2".into(),
            size_bytes: 1,
        };
        records.insert_document(&theirs).await.unwrap();
        for letter in [
            dead_letter("ours", Some(ours.id), 0),
            dead_letter("theirs", Some(theirs.id), 10),
            dead_letter("unreadable", None, 20),
        ] {
            records.record_dead_letter(&letter).await.unwrap();
        }
        let ids = |letters: Vec<DeadLetter>| {
            letters
                .into_iter()
                .map(|l| l.message_id)
                .collect::<Vec<_>>()
        };
        let of_tenant = |tenant, include_redriven| DeadLetterQuery {
            tenant: Some(tenant),
            include_redriven,
            limit: 10,
        };
        assert_eq!(
            ids(records
                .dead_letters(&of_tenant(TENANT, false))
                .await
                .unwrap()),
            ["ours"]
        );
        assert_eq!(
            ids(records.dead_letters(&all_letters(10)).await.unwrap()),
            ["unreadable", "theirs", "ours"]
        );

        let at = chrono::DateTime::from_timestamp(1_790_000_100, 0).unwrap();
        assert!(records.mark_redriven("ours", at).await.unwrap());
        assert!(
            !records.mark_redriven("ours", at).await.unwrap(),
            "marked once"
        );
        assert!(!records.mark_redriven("no-such-message", at).await.unwrap());
        assert!(records
            .dead_letters(&of_tenant(TENANT, false))
            .await
            .unwrap()
            .is_empty());
        let history = records
            .dead_letters(&of_tenant(TENANT, true))
            .await
            .unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].redriven_at, Some(at));
    }

    /// A tenant's documents by status, most recently changed first, optionally per batch.
    pub async fn documents_listed_by_status(records: &dyn Records) {
        let (administration, batch) = setup(records).await;
        let other_batch = BatchId::new();
        records
            .ensure_batch(other_batch, TENANT, administration)
            .await
            .unwrap();
        let first = add_document(records, administration, batch, "s1").await;
        let second = add_document(records, administration, other_batch, "s2").await;
        let queued = add_document(records, administration, batch, "s3").await;
        assert_eq!(records.batch_issue_dates(batch).await.unwrap(), None);
        let error = ErrorInfo::new("pdf.corrupt", "bad xref");
        for document in [&first, &second] {
            records.start_attempt(document.id).await.unwrap();
            records
                .finish_failed(document.id, &error, false)
                .await
                .unwrap();
            // Distinct update times, so the order is defined.
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let failed = records
            .documents_in_status(TENANT, DocumentStatus::Failed, None, 10)
            .await
            .unwrap();
        assert_eq!(failed, [second.id, first.id]);
        let failed_in_batch = records
            .documents_in_status(TENANT, DocumentStatus::Failed, Some(batch), 10)
            .await
            .unwrap();
        assert_eq!(failed_in_batch, [first.id]);
        assert_eq!(
            records
                .documents_in_status(TENANT, DocumentStatus::Queued, None, 10)
                .await
                .unwrap(),
            [queued.id]
        );
        assert_eq!(
            records
                .documents_in_status(TENANT, DocumentStatus::Failed, None, 1)
                .await
                .unwrap(),
            [second.id]
        );
        assert!(records
            .documents_in_status("firm-b", DocumentStatus::Failed, None, 10)
            .await
            .unwrap()
            .is_empty());
    }

    /// Writes that name a missing tenant, administration or batch fail clearly.
    pub async fn unknown_references_are_refused(records: &dyn Records) {
        let (administration, _) = setup(records).await;
        let orphan = NewDocument {
            id: DocumentId::new(),
            batch_id: BatchId::new(),
            tenant: TENANT.into(),
            administration_id: administration,
            filename: "a.pdf".into(),
            object_key: "k".into(),
            content_sha256: "s".into(),
            size_bytes: 1,
        };
        let error = records.insert_document(&orphan).await.unwrap_err();
        assert!(
            matches!(error, RecordsError::UnknownReference(_)),
            "{error:?}"
        );
        let error = records
            .ensure_administration("no-such-firm", "x")
            .await
            .unwrap_err();
        assert!(
            matches!(error, RecordsError::UnknownReference(_)),
            "{error:?}"
        );
    }

    async fn futures_join_all<F: std::future::Future>(
        futures: impl Iterator<Item = F>,
    ) -> Vec<F::Output> {
        let mut outputs = Vec::new();
        let pending: Vec<_> = futures.map(Box::pin).collect();
        // Poll all together so the writes really race.
        let mut pending: Vec<_> = pending.into_iter().map(Some).collect();
        outputs.resize_with(pending.len(), || None);
        std::future::poll_fn(|cx| {
            let mut all_done = true;
            for (slot, output) in pending.iter_mut().zip(outputs.iter_mut()) {
                if let Some(future) = slot {
                    match future.as_mut().poll(cx) {
                        std::task::Poll::Ready(value) => {
                            *output = Some(value);
                            *slot = None;
                        }
                        std::task::Poll::Pending => all_done = false,
                    }
                }
            }
            if all_done {
                std::task::Poll::Ready(())
            } else {
                std::task::Poll::Pending
            }
        })
        .await;
        outputs
            .into_iter()
            .map(|o| o.expect("every future finished"))
            .collect()
    }
}

/// A PostgreSQL server in a temporary directory on a free loopback port, started from Debian's
/// `postgresql` package binaries, for tests and benchmarks.
///
/// One server serves a whole test process ([`TempPostgres::shared`]); each test gets its own
/// database ([`TempPostgres::fresh_database_url`]). A watchdog process stops the server when
/// the test process exits, so no server outlives the run.
pub struct TempPostgres {
    _dir: tempfile::TempDir,
    bin_dir: PathBuf,
    data_dir: PathBuf,
    run_as: Option<String>,
    port: u16,
}

impl TempPostgres {
    /// The process-wide server, started on first use. Panics with instructions if PostgreSQL
    /// is not installed: the tests that need it must fail, not skip.
    pub fn shared() -> &'static TempPostgres {
        static SERVER: OnceLock<TempPostgres> = OnceLock::new();
        SERVER.get_or_init(|| TempPostgres::start().unwrap_or_else(|error| panic!("{error}")))
    }

    /// Start a fresh server.
    pub fn start() -> Result<Self, String> {
        let bin_dir = find_bin_dir()?;
        let dir = tempfile::Builder::new()
            .prefix("stapel-pg-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let data_dir = dir.path().join("data");
        // PostgreSQL refuses to run as root; as root, run it as the `postgres` user that
        // Debian's package creates.
        let run_as = is_root().then(|| "postgres".to_owned());
        if let Some(user) = &run_as {
            run(Command::new("chown").arg("-R").arg(user).arg(dir.path()))?;
        }
        let port = free_port()?;
        let server = Self {
            _dir: dir,
            bin_dir,
            data_dir,
            run_as,
            port,
        };
        server.pg(
            &["initdb", "-D"],
            &[&server.data_dir],
            &["-U", "stapel", "--auth=trust", "--no-sync", "-E", "UTF8"],
        )?;
        let socket_dir = server
            .data_dir
            .parent()
            .expect("data dir has a parent")
            .to_path_buf();
        let options = format!(
            "-p {port} -h 127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            socket_dir.display()
        );
        let log = socket_dir.join("postgres.log");
        server.pg(
            &["pg_ctl", "-D"],
            &[&server.data_dir],
            &[
                "-l",
                &log.display().to_string(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        )?;
        server.watch_parent();
        Ok(server)
    }

    fn command(&self, program: &str) -> Command {
        let binary = self.bin_dir.join(program);
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(binary);
                command
            }
            None => Command::new(binary),
        }
    }

    fn pg(&self, head: &[&str], paths: &[&Path], tail: &[&str]) -> Result<(), String> {
        let mut command = self.command(head[0]);
        command.args(&head[1..]).args(paths).args(tail);
        run(&mut command)
    }

    /// Stop the server when this process exits, however it exits.
    fn watch_parent(&self) {
        let pg_ctl = self.bin_dir.join("pg_ctl");
        let prefix = match &self.run_as {
            Some(user) => format!("runuser -u {user} -- "),
            None => String::new(),
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {prefix}{pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            pg_ctl = pg_ctl.display(),
            data = self.data_dir.display(),
            dir = self.data_dir.parent().expect("parent").display(),
        );
        let _ = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }

    /// URL of the server's maintenance database.
    pub fn admin_url(&self) -> String {
        format!("postgres://stapel@127.0.0.1:{}/postgres", self.port)
    }

    /// Create an empty database and return its URL.
    pub async fn fresh_database_url(&self) -> String {
        use sqlx::Connection;
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&self.admin_url())
            .await
            .expect("connect to temp postgres");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create database");
        format!("postgres://stapel@127.0.0.1:{}/{name}", self.port)
    }
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// `STAPEL_PG_BIN`, else the newest `/usr/lib/postgresql/<version>/bin`.
fn find_bin_dir() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("STAPEL_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| NO_POSTGRES.to_owned())?
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let version = path.file_name()?.to_str()?.parse().ok()?;
            path.join("bin/initdb")
                .exists()
                .then(|| (version, path.join("bin")))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, dir)| dir)
        .ok_or_else(|| NO_POSTGRES.to_owned())
}

const NO_POSTGRES: &str = "PostgreSQL server binaries not found: install Debian's `postgresql` \
    package (apt-get install postgresql) or set STAPEL_PG_BIN to the directory holding initdb";
