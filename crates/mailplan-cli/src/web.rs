//! `mailplan web`: the record-sheet page of `web/`, built into the binary
//! and served on this machine, for a browser that will not open `file://`.

use std::io::Write as _;
use std::net::SocketAddr;

/// The page's files: request path, content type, contents.
const FILES: [(&str, &str, &[u8]); 6] = [
    ("/", HTML, include_bytes!("../../../web/index.html")),
    (
        "/index.html",
        HTML,
        include_bytes!("../../../web/index.html"),
    ),
    ("/app.js", JS, include_bytes!("../../../web/app.js")),
    (
        "/style.css",
        "text/css; charset=utf-8",
        include_bytes!("../../../web/style.css"),
    ),
    (
        "/engine/mailplan_web.js",
        JS,
        include_bytes!("../../../web/engine/mailplan_web.js"),
    ),
    (
        "/engine/mailplan_web_wasm.js",
        JS,
        include_bytes!("../../../web/engine/mailplan_web_wasm.js"),
    ),
];
const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// The page's own policy (also in its `<meta>`): nothing but its own
/// scripts and styles, and no request of any kind after load.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

fn header(name: &str, value: &str) -> tiny_http::Header {
    tiny_http::Header::from_bytes(name, value).expect("static header names and values are valid")
}

/// Serves the page at `listen` until the process is stopped. Prints the
/// address first (with the port the system chose when `listen`'s is 0).
pub fn serve(listen: SocketAddr) -> Result<(), String> {
    let server =
        tiny_http::Server::http(listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let address = server
        .server_addr()
        .to_ip()
        .ok_or_else(|| format!("cannot listen on {listen}: not an IP socket"))?;
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "serving the record-sheet page at http://{address}/ (Ctrl-C stops)"
    );
    if !address.ip().is_loopback() {
        let _ = writeln!(
            stdout,
            "note: {} is reachable from other machines; the page makes no request of its own, but anyone who can reach it may load it",
            address.ip()
        );
    }
    let _ = stdout.flush();
    drop(stdout);
    for request in server.incoming_requests() {
        let path = request.url().split(['?', '#']).next().unwrap_or("/");
        let file = FILES.iter().find(|(served, _, _)| *served == path);
        let response = match (request.method(), file) {
            (tiny_http::Method::Get | tiny_http::Method::Head, Some((_, content_type, body))) => {
                tiny_http::Response::from_data(body.to_vec())
                    .with_header(header("Content-Type", content_type))
            }
            (tiny_http::Method::Get | tiny_http::Method::Head, None) => {
                tiny_http::Response::from_data(b"not found\n".to_vec())
                    .with_status_code(404)
                    .with_header(header("Content-Type", "text/plain; charset=utf-8"))
            }
            _ => tiny_http::Response::from_data(b"only GET and HEAD\n".to_vec())
                .with_status_code(405)
                .with_header(header("Allow", "GET, HEAD"))
                .with_header(header("Content-Type", "text/plain; charset=utf-8")),
        }
        .with_header(header("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .with_header(header("Cache-Control", "no-store"))
        .with_header(header("X-Content-Type-Options", "nosniff"))
        .with_header(header("Referrer-Policy", "no-referrer"));
        // A browser that went away mid-answer is no reason to stop serving.
        let _ = request.respond(response);
    }
    Ok(())
}
