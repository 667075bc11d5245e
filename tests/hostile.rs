//! Hostile input end to end: a corpus of bad files, generated here (nothing large is committed),
//! uploaded to one `dispatcher serve` with two local workers. Each file must end `failed` with
//! its specific code (or `done` where the content is a real invoice under a misleading name or
//! type), in bounded time and memory, and the workers must still be the same healthy processes
//! afterwards.

mod support;

use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{get, sample, scanned_png, serve, wait_final};

/// The whole scenario, uploads to the last check, must finish within this.
const WHOLE_TEST: Duration = Duration::from_secs(180);

/// Peak resident memory allowed for the dispatcher, which only streams uploads to the store.
const DISPATCHER_MAX_HWM_KIB: u64 = 256 * 1024;

/// Peak resident memory allowed for a worker: parsers that can run away run in limited children,
/// so a worker's own peak stays small whatever the input.
const WORKER_MAX_HWM_KIB: u64 = 512 * 1024;

/// One file of the corpus and what must become of it.
struct Case {
    /// What the case is, for assertion messages.
    what: &'static str,
    /// The file name sent in the multipart part.
    filename: Vec<u8>,
    /// The part's declared MIME type (never trusted).
    content_type: &'static str,
    bytes: Vec<u8>,
    expect: Expect,
}

enum Expect {
    /// `failed` already in the 202 answer: refused at upload, never processed.
    RefusedAtUpload(&'static str),
    /// Queued, then `failed` with this code.
    Fails(&'static str),
    /// Queued, then `done` with this invoice number, read from this source (`text`, `ocr`,
    /// `ubl`): the content decided how it was read, not the name or the declared type.
    Done(&'static str, &'static str),
}

fn case(what: &'static str, filename: &str, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        what,
        filename: filename.as_bytes().to_vec(),
        content_type: "application/octet-stream",
        bytes,
        expect,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_files_fail_specifically_and_the_workers_stay_healthy() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    std::fs::create_dir(&data_dir).unwrap();
    let (server, url) = serve(&data_dir, 2, &[]);
    let client = support::local_client(&data_dir);
    let workers_before = wait_for_workers(server.pid(), 2).await;

    let nl_factuur = std::fs::read(sample("nl_factuur.pdf")).unwrap();
    let en_invoice = std::fs::read(sample("en_invoice.pdf")).unwrap();
    let ubl = std::fs::read(sample("xml/nl_peppol_ubl.xml")).unwrap();
    let ubl_number = xml_invoice_number(&ubl);
    let mut cases = vec![
        case(
            "zero bytes",
            "empty.pdf",
            Vec::new(),
            Expect::RefusedAtUpload("upload.empty"),
        ),
        case(
            "random bytes named .pdf",
            "random.pdf",
            random_bytes(64 * 1024, 7),
            Expect::RefusedAtUpload("upload.unsupported_type"),
        ),
        case(
            "a ZIP named .pdf",
            "archive.pdf",
            zip_with_one_file("factuur.pdf", b"not really", 0),
            Expect::RefusedAtUpload("upload.unsupported_type"),
        ),
        case(
            "a truncated PDF",
            "truncated.pdf",
            nl_factuur[..nl_factuur.len() / 2].to_vec(),
            Expect::Fails("pdf.corrupt"),
        ),
        case(
            "an encrypted PDF",
            "encrypted.pdf",
            encrypted_pdf(),
            Expect::Fails("pdf.encrypted"),
        ),
        case(
            "a PDF with a 1 GiB flate bomb",
            "bomb.pdf",
            flate_bomb_pdf(1 << 30, Bomb::ContentStream),
            Expect::Fails("pdf.killed"),
        ),
        case(
            "a hybrid-looking PDF whose object stream is a 1 GiB flate bomb",
            "hybrid-bomb.pdf",
            flate_bomb_pdf(1 << 30, Bomb::ObjectStream),
            // The attachment lookup and the text parser inflate it in their limited children
            // (the worker's own memory stays small, checked below); what is left is a blank page.
            Expect::Fails("pdf.blank_render"),
        ),
        case(
            "a PDF with 10,000 pages",
            "pages.pdf",
            many_pages_pdf(10_000),
            Expect::Fails("pdf.too_many_pages"),
        ),
        case(
            "a 30000×30000 PNG",
            "huge.png",
            png_claiming(30_000, 30_000),
            Expect::Fails("ocr.image_too_large"),
        ),
        case(
            "a TIFF claiming 100000×100000 pixels",
            "huge.tiff",
            tiff_claiming(100_000, 100_000, false),
            Expect::Fails("ocr.image_too_large"),
        ),
        case(
            "a TIFF whose page chain loops",
            "loop.tiff",
            tiff_claiming(16, 16, true),
            Expect::Fails("ocr.decode_failed"),
        ),
        case(
            "XML with an external entity",
            "xxe.xml",
            xml_with_external_entity(),
            Expect::Fails("einvoice.dtd_forbidden"),
        ),
        case(
            "XML billion laughs",
            "laughs.xml",
            billion_laughs(),
            Expect::Fails("einvoice.dtd_forbidden"),
        ),
        case(
            "HTML with a PDF header in its first kilobyte",
            "page.html",
            b"<html><body><!-- %PDF-1.4 --><p>Invoice 1, total 12.00 EUR</p></body></html>"
                .to_vec(),
            Expect::Fails("pdf.corrupt"),
        ),
        case(
            "a PDF that is also a ZIP",
            "polyglot.zip",
            [
                nl_factuur.clone(),
                zip_with_one_file("payload.txt", b"hello", nl_factuur.len() as u32),
            ]
            .concat(),
            Expect::Done("2026-0312", "text"),
        ),
        case(
            "a PDF named .xml",
            "factuur.xml",
            nl_factuur.clone(),
            Expect::Done("2026-0312", "text"),
        ),
        case(
            "an e-invoice XML named .png",
            "peppol.png",
            ubl.clone(),
            Expect::Done(ubl_number, "ubl"),
        ),
        case(
            "a PNG scan named .pdf",
            "scan.pdf",
            scanned_png("de_rechnung.pdf", 300),
            Expect::Done(expected_number("de_rechnung"), "ocr"),
        ),
        Case {
            content_type: "text/plain",
            ..case(
                "a PDF declared text/plain",
                "invoice.txt",
                en_invoice.clone(),
                Expect::Done(expected_number("en_invoice"), "text"),
            )
        },
    ];
    // Names: a path, control characters and 10,000 characters; the content is a real invoice.
    // (A raw NUL cannot travel in a multipart header at all, see below.)
    let named = [
        (
            "../../etc/passwd.pdf".as_bytes().to_vec(),
            "passwd.pdf".to_owned(),
        ),
        (b"..\\..\\fac\ttuur.pdf".to_vec(), "factuur.pdf".to_owned()),
        (
            format!("{}.pdf", "a".repeat(10_000)).into_bytes(),
            "a".repeat(255),
        ),
    ];
    for (raw, _) in &named {
        cases.push(Case {
            filename: raw.clone(),
            ..case(
                "a hostile file name",
                "",
                en_invoice.clone(),
                Expect::Done(expected_number("en_invoice"), "text"),
            )
        });
    }
    // The upload itself is bounded too: none of this is kept in the dispatcher's memory.
    let total_bytes: usize = cases.iter().map(|case| case.bytes.len()).sum();
    assert!(total_bytes < 16 * 1024 * 1024, "{total_bytes} bytes");

    let (status, answer) = upload_raw(&client, &url, &cases).await;
    assert_eq!(status, 202, "{answer}");
    let documents = answer["documents"].as_array().unwrap().clone();
    assert_eq!(documents.len(), cases.len(), "{answer}");
    for (case, document) in cases.iter().zip(&documents) {
        match case.expect {
            Expect::RefusedAtUpload(code) => {
                assert_eq!(document["status"], "failed", "{}: {document}", case.what);
                assert_eq!(document["error"]["code"], code, "{}: {document}", case.what);
            }
            _ => assert_eq!(document["status"], "queued", "{}: {document}", case.what),
        }
    }
    for ((_, sanitised), document) in named.iter().zip(&documents[cases.len() - named.len()..]) {
        assert_eq!(&document["filename"], sanitised);
    }

    // A NUL in a part's header is not HTTP: the whole request is refused and nothing recorded.
    let mut nul = case(
        "a NUL in the file name",
        "",
        en_invoice.clone(),
        Expect::Done("", ""),
    );
    nul.filename = b"fac\0tuur.pdf".to_vec();
    let (status, refused) = upload_raw(&client, &url, &[nul]).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(
        refused["error"]["code"], "request.malformed_multipart",
        "{refused}"
    );

    let mut outcomes = Vec::new();
    for (case, document) in cases.iter().zip(&documents) {
        let id = document["id"].as_str().unwrap();
        let remaining = WHOLE_TEST.saturating_sub(started.elapsed());
        let view = wait_final(&client, &url, id, remaining).await;
        outcomes.push((case, view));
    }
    let mut wrong = Vec::new();
    for (case, view) in &outcomes {
        let expected = match case.expect {
            Expect::RefusedAtUpload(code) | Expect::Fails(code) => ("failed", code, ""),
            Expect::Done(number, source) => ("done", number, source),
        };
        let text = |value: &Value| value.as_str().unwrap_or("").to_owned();
        let got = match view["status"].as_str() {
            Some("done") => (
                "done".to_owned(),
                text(&view["invoice"]["invoice_number"]),
                text(&view["invoice"]["source"]),
            ),
            other => (
                other.unwrap_or("?").to_owned(),
                text(&view["error"]["code"]),
                String::new(),
            ),
        };
        if (got.0.as_str(), got.1.as_str(), got.2.as_str()) != expected {
            wrong.push(format!(
                "{}: expected {expected:?}, got {got:?} ({})",
                case.what, view["error"]["message"]
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Refused files never cost a worker anything: no attempt was started.
    for (case, view) in &outcomes {
        if matches!(case.expect, Expect::RefusedAtUpload(_)) {
            assert_eq!(view["attempts"], 0, "{}: {view}", case.what);
        }
    }

    // Sanitised names are what the records keep, and nothing was written outside the data dir.
    for ((_, sanitised), (_, view)) in named.iter().zip(&outcomes[cases.len() - named.len()..]) {
        assert_eq!(&view["filename"], sanitised);
    }
    assert!(!dir.path().join("etc").exists());
    assert!(!Path::new("/etc/passwd.pdf").exists());
    for path in files_under(dir.path()) {
        let relative = path
            .strip_prefix(&data_dir)
            .unwrap_or_else(|_| panic!("{} is outside the data directory", path.display()));
        let name = relative.to_string_lossy();
        assert!(!name.contains("passwd"), "{name}");
        assert!(!name.contains("aaaaaaaa"), "{name}");
    }

    // The same two workers are still there (none crashed and was replaced) and still work.
    let (status, done) = upload_raw(
        &client,
        &url,
        &[case(
            "a normal invoice",
            "nl_factuur.pdf",
            nl_factuur,
            Expect::Done("2026-0312", "text"),
        )],
    )
    .await;
    assert_eq!(status, 202, "{done}");
    let id = done["documents"][0]["id"].as_str().unwrap();
    let view = wait_final(&client, &url, id, Duration::from_secs(60)).await;
    assert_eq!(view["status"], "done", "{view}");
    assert_eq!(view["invoice"]["invoice_number"], "2026-0312");
    let workers_after = worker_pids(server.pid());
    assert_eq!(
        workers_after, workers_before,
        "a worker died and was replaced"
    );

    // Memory stayed bounded in the dispatcher and in each worker.
    let dispatcher_hwm = peak_rss_kib(server.pid());
    eprintln!("dispatcher VmHWM {dispatcher_hwm} KiB");
    assert!(
        dispatcher_hwm < DISPATCHER_MAX_HWM_KIB,
        "dispatcher VmHWM {dispatcher_hwm} KiB"
    );
    for pid in &workers_after {
        let hwm = peak_rss_kib(*pid);
        eprintln!("worker {pid} VmHWM {hwm} KiB");
        assert!(hwm < WORKER_MAX_HWM_KIB, "worker {pid} VmHWM {hwm} KiB");
    }
    let (status, health) = get(&client, &format!("{url}/healthz")).await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    eprintln!("hostile corpus finished in {:?}", started.elapsed());
    assert!(
        started.elapsed() < WHOLE_TEST,
        "took {:?}",
        started.elapsed()
    );
}

// ---- The upload, by hand: raw file names (with a NUL) and declared MIME types ----

async fn upload_raw(client: &reqwest::Client, url: &str, cases: &[Case]) -> (u16, Value) {
    let boundary = "stapel-hostile-boundary-7c1e";
    let mut body = Vec::new();
    for case in cases {
        write!(
            body,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
        )
        .unwrap();
        body.extend_from_slice(&case.filename);
        write!(body, "\"\r\nContent-Type: {}\r\n\r\n", case.content_type).unwrap();
        body.extend_from_slice(&case.bytes);
        body.extend_from_slice(b"\r\n");
    }
    write!(body, "--{boundary}--\r\n").unwrap();
    let response = client
        .post(format!("{url}/v1/documents"))
        .header(
            reqwest::header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

// ---- Processes ----

/// The local pool's worker processes: children of the dispatcher running `worker`.
fn worker_pids(dispatcher: i32) -> BTreeSet<i32> {
    let mut pids = BTreeSet::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The command name is in parentheses and may contain spaces: split after it.
        let Some(after) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            continue;
        };
        let parent = after
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse::<i32>().ok());
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let is_worker = cmdline.split(|byte| *byte == 0).any(|arg| arg == b"worker");
        if parent == Some(dispatcher) && is_worker {
            pids.insert(pid);
        }
    }
    pids
}

async fn wait_for_workers(dispatcher: i32, count: usize) -> BTreeSet<i32> {
    let started = Instant::now();
    loop {
        let pids = worker_pids(dispatcher);
        if pids.len() == count {
            return pids;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "workers: {pids:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `VmHWM` of a process: its peak resident set, in KiB.
fn peak_rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in {status}"))
}

fn files_under(root: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

// ---- Expected values ----

fn expected_number(name: &str) -> &'static str {
    let json: Value =
        serde_json::from_slice(&std::fs::read(sample(&format!("{name}.expected.json"))).unwrap())
            .unwrap();
    Box::leak(
        json["invoice_number"]
            .as_str()
            .unwrap()
            .to_owned()
            .into_boxed_str(),
    )
}

/// The first `cbc:ID` of a UBL invoice: its number.
fn xml_invoice_number(xml: &[u8]) -> &'static str {
    let text = String::from_utf8_lossy(xml);
    let start = text.find("<cbc:ID>").expect("the sample has a cbc:ID") + "<cbc:ID>".len();
    let end = start + text[start..].find("</cbc:ID>").unwrap();
    Box::leak(text[start..end].to_owned().into_boxed_str())
}

// ---- The corpus ----

/// Deterministic noise (xorshift), so a failure can be reproduced.
fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// A PDF from numbered object bodies (object `i + 1` is `objects[i]`) and a trailer dictionary's
/// extra entries; the cross-reference table is computed.
fn pdf(objects: &[Vec<u8>], trailer_extra: &str) -> Vec<u8> {
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (index, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        writeln!(out, "{} 0 obj", index + 1).unwrap();
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).unwrap();
    for offset in offsets {
        writeln!(out, "{offset:010} 00000 n ").unwrap();
    }
    write!(
        out,
        "trailer\n<< /Size {} /Root 1 0 R {trailer_extra} >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    )
    .unwrap();
    out
}

fn stream_object(dictionary: &str, data: &[u8]) -> Vec<u8> {
    let mut body = format!("<< {dictionary} /Length {} >>\nstream\n", data.len()).into_bytes();
    body.extend_from_slice(data);
    body.extend_from_slice(b"\nendstream");
    body
}

/// One A4 page drawing `content`, with a Helvetica font.
fn one_page_pdf(content_stream: Vec<u8>, trailer_extra: &str) -> Vec<u8> {
    pdf(
        &[
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
              /Resources << /Font << /F1 5 0 R >> >> >>"
                .to_vec(),
            content_stream,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        ],
        trailer_extra,
    )
}

/// Encrypted with the standard security handler (RC4, revision 2) under a user password we do
/// not know: the owner and user entries are noise, so the empty password does not open it.
fn encrypted_pdf() -> Vec<u8> {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02X}")).collect::<String>();
    let owner = hex(&random_bytes(32, 1));
    let user = hex(&random_bytes(32, 2));
    let id = hex(&random_bytes(16, 3));
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        stream_object("", &random_bytes(400, 4)),
    ];
    objects.push(
        format!("<< /Filter /Standard /V 1 /R 2 /O <{owner}> /U <{user}> /P -3904 >>").into_bytes(),
    );
    pdf(&objects, &format!("/Encrypt 5 0 R /ID [<{id}> <{id}>]"))
}

/// Where a flate bomb sits in a PDF.
#[derive(Clone, Copy)]
enum Bomb {
    /// The page's content stream: inflated by whoever draws or reads the page.
    ContentStream,
    /// An object stream of a PDF that looks like a hybrid e-invoice (`/AF` on the catalog): PDF
    /// libraries inflate object streams while loading the file, before anything else.
    ObjectStream,
}

/// A one-page PDF with a stream that inflates to `inflated` zero bytes: a zlib stream built
/// from one compressed chunk repeated (a full flush makes each chunk stand alone), so the test
/// never holds the inflated size in memory.
fn flate_bomb_pdf(inflated: u64, bomb: Bomb) -> Vec<u8> {
    const CHUNK: usize = 8 << 20;
    let zeros = vec![0u8; CHUNK];
    let mut compress = flate2::Compress::new(flate2::Compression::best(), false);
    let mut piece = Vec::with_capacity(64 * 1024);
    compress
        .compress_vec(&zeros, &mut piece, flate2::FlushCompress::Full)
        .unwrap();
    assert_eq!(
        compress.total_in(),
        CHUNK as u64,
        "one call takes the whole chunk"
    );
    let chunks = inflated / CHUNK as u64;
    let mut zlib = vec![0x78, 0xDA];
    for _ in 0..chunks {
        zlib.extend_from_slice(&piece);
    }
    // The final block (empty, stored), then Adler-32 of `chunks * CHUNK` zeros.
    zlib.extend_from_slice(&[0x01, 0x00, 0x00, 0xFF, 0xFF]);
    let length = chunks * CHUNK as u64;
    let adler = ((length % 65521) << 16) as u32 | 1;
    zlib.extend_from_slice(&adler.to_be_bytes());
    match bomb {
        Bomb::ContentStream => one_page_pdf(stream_object("/Filter /FlateDecode", &zlib), ""),
        Bomb::ObjectStream => pdf(
            &[
                b"<< /Type /Catalog /Pages 2 0 R /AF [] >>".to_vec(),
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>".to_vec(),
                stream_object("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", &zlib),
            ],
            "",
        ),
    }
}

/// `pages` blank pages sharing one content stream: a small file with a huge page count.
fn many_pages_pdf(pages: usize) -> Vec<u8> {
    let first_page = 4;
    let kids: String = (0..pages)
        .map(|index| format!("{} 0 R ", first_page + index))
        .collect();
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{kids}] /Count {pages} >>").into_bytes(),
        stream_object("", b"0 0 m 1 1 l S"),
    ];
    for _ in 0..pages {
        objects.push(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>".to_vec(),
        );
    }
    pdf(&objects, "")
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc.sum().to_be_bytes());
}

/// A PNG whose header claims `width`×`height` greyscale pixels, with only a small IDAT.
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 0, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &header);
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(&vec![0u8; 64 * 1024]).unwrap();
    png_chunk(&mut out, b"IDAT", &encoder.finish().unwrap());
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A little-endian TIFF claiming `width`×`height` 8-bit grey pixels in one uncompressed strip
/// of 16 bytes; with `looping`, the page's "next page" offset points back at itself.
fn tiff_claiming(width: u32, height: u32, looping: bool) -> Vec<u8> {
    let entries: [(u16, u16, u32); 8] = [
        (256, 4, width),  // ImageWidth, LONG
        (257, 4, height), // ImageLength
        (258, 3, 8),      // BitsPerSample, SHORT
        (259, 3, 1),      // Compression: none
        (262, 3, 1),      // PhotometricInterpretation: black is zero
        (273, 4, 0),      // StripOffsets, patched below
        (278, 4, height), // RowsPerStrip
        (279, 4, 16),     // StripByteCounts
    ];
    let ifd_offset = 8u32;
    let ifd_len = 2 + entries.len() as u32 * 12 + 4;
    let strip_offset = ifd_offset + ifd_len;
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&ifd_offset.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (tag, kind, value) in entries {
        let value = if tag == 273 { strip_offset } else { value };
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        if kind == 3 {
            out.extend_from_slice(&(value as u16).to_le_bytes());
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    let next = if looping { ifd_offset } else { 0 };
    out.extend_from_slice(&next.to_le_bytes());
    out.extend_from_slice(&[0x80; 16]);
    out
}

fn xml_with_external_entity() -> Vec<u8> {
    br#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE Invoice [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>&secret;</cbc:ID>
</Invoice>
"#
    .to_vec()
}

fn billion_laughs() -> Vec<u8> {
    let mut xml =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for level in 1..10 {
        let previous = if level == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", level - 1)
        };
        let refs = format!("&{previous};").repeat(10);
        xml.push_str(&format!("<!ENTITY lol{level} \"{refs}\">\n"));
    }
    xml.push_str("]>\n<lolz>&lol9;</lolz>\n");
    xml.into_bytes()
}

/// A ZIP archive with one stored (uncompressed) file, to be placed `at` bytes into a file (ZIP
/// offsets count from the start of the file, which is what makes a PDF + ZIP polyglot work).
fn zip_with_one_file(name: &str, data: &[u8], at: u32) -> Vec<u8> {
    let mut crc = flate2::Crc::new();
    crc.update(data);
    let crc = crc.sum();
    let size = data.len() as u32;
    let name_len = name.len() as u16;
    let mut out = Vec::new();
    // Local file header.
    out.extend_from_slice(b"PK\x03\x04");
    out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&name_len.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(data);
    // Central directory.
    let central = at + out.len() as u32;
    out.extend_from_slice(b"PK\x01\x02");
    out.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&name_len.to_le_bytes());
    out.extend_from_slice(&[0; 12]);
    out.extend_from_slice(&at.to_le_bytes());
    out.extend_from_slice(name.as_bytes());
    let central_len = at + out.len() as u32 - central;
    // End of central directory.
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
    out.extend_from_slice(&central_len.to_le_bytes());
    out.extend_from_slice(&central.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}
