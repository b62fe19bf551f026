//! Rendering errors as `FILE:LINE:COL: error: MESSAGE` with the source line and a caret.

use crate::Error;
use wabe_air::Span;

/// Renders one error at `span` of `src` (read from `path`).
pub fn render(path: &str, src: &str, span: Span, message: &str) -> String {
    let mut out = format!("{path}:{}:{}: error: {message}\n", span.line, span.col);
    if span.line == 0 {
        return out;
    }
    if let Some(line) = src.lines().nth(span.line as usize - 1) {
        let num = span.line.to_string();
        let pad = " ".repeat(num.len());
        // The caret goes under the column, counting characters (tabs kept as tabs).
        let prefix: String = line
            .chars()
            .take(span.col.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.push_str(&format!("{pad} |\n{num} | {line}\n{pad} | {prefix}^\n"));
    }
    out
}

/// Renders a compilation error with its locations.
pub fn render_error(path: &str, src: &str, err: &Error) -> String {
    match err {
        Error::Parse(e) | Error::Verify(e) => e
            .diagnostics
            .iter()
            .map(|d| render(path, src, d.span, &d.message))
            .collect(),
        Error::Codegen(e) => render(
            path,
            src,
            e.span,
            &format!("in function `{}`: {}", e.function, e.message),
        ),
        Error::Link(e) => format!("{path}: error: {e}\n"),
        Error::Data { span, error } => render(path, src, *span, &error.to_string()),
        Error::StillReferenced { .. } => format!("{path}: {err}\n"),
    }
}
