//! The tokenizer of IR text.
//!
//! The whole source is split into [`Token`]s up front; the parser then works on indices into
//! that array, which makes saving and restoring a position (for the two-pass handling of typed
//! constants and for types defined out of order) a plain integer copy. Newlines are not tokens:
//! the few places where a line end matters (`ret` and `repeat` without operands) compare the
//! lines of neighbouring tokens.
//!
//! String and character literals are checked and decoded here, so that a bad escape is reported
//! at its exact place; decoded strings live in [`Lexed::strings`].

use crate::air::Span;
use crate::Diagnostic;

/// What a token is.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub(crate) enum Tok {
    /// A name: `[A-Za-z_][A-Za-z0-9_.]*` (keywords too).
    Ident,
    /// `%name`; the text excludes the `%`.
    Local,
    /// `@name`; the text excludes the `@`.
    Global,
    /// An integer literal (text as written).
    Int,
    /// A float literal with a `.` or an exponent.
    Float,
    /// A character literal and its code point.
    Char(u32),
    /// A string literal: the index of its decoded bytes in [`Lexed::strings`].
    Str(u32),
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Eq,
    /// `=>`
    FatArrow,
    Bang,
    Question,
    Star,
    Minus,
    Dot,
    /// `..`
    DotDot,
    /// `...`
    Ellipsis,
    /// The end of the input.
    Eof,
}

/// A token: its kind, byte range and position.
#[derive(Copy, Clone, Debug)]
pub(crate) struct Token {
    pub kind: Tok,
    /// Byte offset of the text (after the sigil for `%`/`@` names).
    pub start: u32,
    /// Byte offset one past the end.
    pub end: u32,
    /// Line of the first character, from 1.
    pub line: u32,
    /// Column of the first character (counted in characters), from 1.
    pub col: u32,
}

impl Token {
    pub fn span(&self) -> Span {
        Span {
            line: self.line,
            col: self.col,
        }
    }
}

/// The tokens of a source text, ending with [`Tok::Eof`].
pub(crate) struct Lexed {
    pub tokens: Vec<Token>,
    pub strings: Vec<Box<[u8]>>,
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_name_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

struct Lexer<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    line: u32,
    col: u32,
    out: Lexed,
}

/// Splits `src` into tokens.
pub(crate) fn lex(src: &str) -> Result<Lexed, Diagnostic> {
    let mut lx = Lexer {
        src: src.as_bytes(),
        text: src,
        pos: 0,
        line: 1,
        col: 1,
        out: Lexed {
            tokens: Vec::with_capacity(src.len() / 3 + 1),
            strings: Vec::new(),
        },
    };
    if src.starts_with('\u{feff}') {
        // A byte order mark is not text.
        lx.pos = 3;
    }
    lx.run()?;
    Ok(lx.out)
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> u8 {
        self.src.get(self.pos + ahead).copied().unwrap_or(0)
    }

    /// Advances over one character (a whole UTF-8 sequence), keeping line and column.
    fn bump(&mut self) {
        let Some(&c) = self.src.get(self.pos) else {
            return;
        };
        if c == b'\n' {
            self.line += 1;
            self.col = 1;
            self.pos += 1;
            return;
        }
        self.col += 1;
        let len = self.text[self.pos..]
            .chars()
            .next()
            .map_or(1, char::len_utf8);
        self.pos += len;
    }

    fn span(&self) -> Span {
        Span {
            line: self.line,
            col: self.col,
        }
    }

    fn err(&self, span: Span, msg: impl Into<String>) -> Diagnostic {
        Diagnostic {
            span,
            message: msg.into(),
        }
    }

    fn push(&mut self, kind: Tok, start: usize, span: Span) {
        self.out.tokens.push(Token {
            kind,
            start: start as u32,
            end: self.pos as u32,
            line: span.line,
            col: span.col,
        });
    }

    /// Consumes a name's characters: name characters, and dots followed by a name character.
    fn name_chars(&mut self) {
        loop {
            let c = self.peek(0);
            if is_name_char(c) || (c == b'.' && is_name_char(self.peek(1))) {
                self.bump();
            } else {
                break;
            }
        }
    }

    fn run(&mut self) -> Result<(), Diagnostic> {
        if self.src.len() >= u32::MAX as usize {
            return Err(self.err(Span { line: 1, col: 1 }, "the input is too large"));
        }
        loop {
            // Whitespace and comments.
            let c = self.peek(0);
            if c == b' ' || c == b'\t' || c == b'\n' || c == b'\r' {
                self.bump();
                continue;
            }
            if c == b'/' && self.peek(1) == b'/' {
                while self.pos < self.src.len() && self.peek(0) != b'\n' {
                    self.bump();
                }
                continue;
            }
            let span = self.span();
            let start = self.pos;
            if self.pos >= self.src.len() {
                self.push(Tok::Eof, start, span);
                return Ok(());
            }
            let single = match c {
                b'(' => Some(Tok::LParen),
                b')' => Some(Tok::RParen),
                b'{' => Some(Tok::LBrace),
                b'}' => Some(Tok::RBrace),
                b'[' => Some(Tok::LBracket),
                b']' => Some(Tok::RBracket),
                b',' => Some(Tok::Comma),
                b':' => Some(Tok::Colon),
                b'!' => Some(Tok::Bang),
                b'?' => Some(Tok::Question),
                b'*' => Some(Tok::Star),
                b'-' => Some(Tok::Minus),
                _ => None,
            };
            if let Some(kind) = single {
                self.bump();
                self.push(kind, start, span);
                continue;
            }
            match c {
                b'=' => {
                    self.bump();
                    let kind = if self.peek(0) == b'>' {
                        self.bump();
                        Tok::FatArrow
                    } else {
                        Tok::Eq
                    };
                    self.push(kind, start, span);
                }
                b'.' => {
                    self.bump();
                    let mut kind = Tok::Dot;
                    if self.peek(0) == b'.' {
                        self.bump();
                        kind = Tok::DotDot;
                        if self.peek(0) == b'.' {
                            self.bump();
                            kind = Tok::Ellipsis;
                        }
                    }
                    self.push(kind, start, span);
                }
                b'%' | b'@' => {
                    self.bump();
                    let text_start = self.pos;
                    let ok = if c == b'%' {
                        is_name_char(self.peek(0))
                    } else {
                        is_name_start(self.peek(0))
                    };
                    if !ok {
                        return Err(
                            self.err(span, format!("expected a name after `{}`", c as char))
                        );
                    }
                    self.name_chars();
                    let kind = if c == b'%' { Tok::Local } else { Tok::Global };
                    self.push(kind, text_start, span);
                }
                b'"' => self.string(span)?,
                b'\'' => self.char_lit(span)?,
                c if c.is_ascii_digit() => self.number(span),
                c if is_name_start(c) => {
                    self.name_chars();
                    self.push(Tok::Ident, start, span);
                }
                _ => {
                    let ch = self.text[self.pos..].chars().next().unwrap_or('?');
                    return Err(self.err(
                        span,
                        format!("unexpected character `{}`", ch.escape_debug()),
                    ));
                }
            }
        }
    }

    fn number(&mut self, span: Span) {
        let start = self.pos;
        let radix_prefix =
            self.peek(0) == b'0' && matches!(self.peek(1), b'x' | b'X' | b'b' | b'B' | b'o' | b'O');
        let is_hex = radix_prefix && matches!(self.peek(1), b'x' | b'X');
        let mut float = false;
        let run = |lx: &mut Self| {
            while is_name_char(lx.peek(0)) {
                lx.bump();
            }
        };
        run(self);
        if !radix_prefix && self.peek(0) == b'.' && self.peek(1).is_ascii_digit() {
            float = true;
            self.bump();
            run(self);
        }
        if !is_hex {
            let last = self.src[self.pos - 1];
            if (last == b'e' || last == b'E') && matches!(self.peek(0), b'+' | b'-') {
                self.bump();
                run(self);
            }
            let text = &self.src[start..self.pos];
            if !radix_prefix && text.iter().any(|&b| b == b'e' || b == b'E') {
                float = true;
            }
        }
        self.push(if float { Tok::Float } else { Tok::Int }, start, span);
    }

    /// Reads one escape sequence after the `\`, returning the code point, or a raw byte for
    /// `\xNN` (flagged by the second value).
    fn escape(&mut self, esc_span: Span) -> Result<(u32, bool), Diagnostic> {
        let c = self.peek(0);
        let bad =
            |lx: &Self, what: &str| lx.err(esc_span, format!("invalid escape sequence `\\{what}`"));
        match c {
            b'n' | b't' | b'r' | b'\\' | b'"' | b'\'' => {
                self.bump();
                let v = match c {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    other => other,
                };
                Ok((v as u32, false))
            }
            b'x' => {
                let (h, l) = (self.peek(1), self.peek(2));
                let (Some(h), Some(l)) = ((h as char).to_digit(16), (l as char).to_digit(16))
                else {
                    let shown: String = self.text[self.pos..]
                        .chars()
                        .take(3)
                        .take_while(|c| !c.is_whitespace())
                        .collect();
                    return Err(bad(self, &shown));
                };
                for _ in 0..3 {
                    self.bump();
                }
                Ok((h * 16 + l, true))
            }
            b'u' => {
                if self.peek(1) != b'{' {
                    return Err(bad(self, "u"));
                }
                self.bump();
                self.bump();
                let mut v: u32 = 0;
                let mut digits = 0;
                while let Some(d) = (self.peek(0) as char).to_digit(16) {
                    v = v.saturating_mul(16).saturating_add(d);
                    digits += 1;
                    self.bump();
                }
                if self.peek(0) != b'}' || digits == 0 {
                    return Err(self.err(
                        esc_span,
                        "invalid escape sequence `\\u{...}`: expected hex digits and `}`",
                    ));
                }
                self.bump();
                if char::from_u32(v).is_none() {
                    return Err(self.err(esc_span, "`\\u{...}` is not a valid Unicode code point"));
                }
                Ok((v, false))
            }
            0 if self.pos >= self.src.len() => Err(self.err(esc_span, "unterminated string")),
            _ => {
                let ch = self.text[self.pos..].chars().next().unwrap_or('?');
                Err(bad(self, &ch.escape_debug().to_string()))
            }
        }
    }

    fn string(&mut self, span: Span) -> Result<(), Diagnostic> {
        let start = self.pos;
        self.bump();
        let mut bytes = Vec::new();
        loop {
            let c = self.peek(0);
            if self.pos >= self.src.len() || c == b'\n' {
                return Err(self.err(span, "unterminated string"));
            }
            match c {
                b'"' => {
                    self.bump();
                    break;
                }
                b'\\' => {
                    let esc_span = self.span();
                    self.bump();
                    let (v, raw) = self.escape(esc_span)?;
                    if raw {
                        bytes.push(v as u8);
                    } else {
                        let ch = char::from_u32(v).unwrap_or('\u{fffd}');
                        let mut buf = [0u8; 4];
                        bytes.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                }
                _ => {
                    let before = self.pos;
                    self.bump();
                    bytes.extend_from_slice(&self.src[before..self.pos]);
                }
            }
        }
        let idx = self.out.strings.len() as u32;
        self.out.strings.push(bytes.into_boxed_slice());
        self.push(Tok::Str(idx), start, span);
        Ok(())
    }

    fn char_lit(&mut self, span: Span) -> Result<(), Diagnostic> {
        let start = self.pos;
        self.bump();
        let c = self.peek(0);
        let value = if self.pos >= self.src.len() || c == b'\n' || c == b'\'' {
            return Err(self.err(span, "invalid character literal"));
        } else if c == b'\\' {
            let esc_span = self.span();
            self.bump();
            self.escape(esc_span)?.0
        } else {
            let ch = self.text[self.pos..].chars().next().unwrap_or('?');
            self.bump();
            ch as u32
        };
        if self.peek(0) != b'\'' {
            return Err(self.err(span, "unterminated character literal"));
        }
        self.bump();
        self.push(Tok::Char(value), start, span);
        Ok(())
    }
}
