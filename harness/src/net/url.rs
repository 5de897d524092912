//! `http://` and `https://` URLs, parsed by the `url` crate into what the connector needs.

/// A parsed `http://` or `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Url {
    /// `https://`: the connection is TLS.
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, `/` at least.
    pub target: String,
}

impl Url {
    /// Parses an `http://` or `https://` URL (the `url` crate, WHATWG rules: the host is
    /// lower-cased and IDNA-encoded, dot segments are resolved, the fragment is dropped).
    pub(crate) fn parse(url: &str) -> Result<Url, String> {
        let not_http = || format!("not an http:// or https:// URL: {url}");
        let parsed = match ::url::Url::parse(url) {
            Ok(u) => u,
            Err(::url::ParseError::RelativeUrlWithoutBase) => return Err(not_http()),
            Err(::url::ParseError::EmptyHost) => return Err(format!("no host in {url}")),
            Err(e) => return Err(format!("{url}: {e}")),
        };
        let tls = match parsed.scheme() {
            "http" => false,
            "https" => true,
            _ => return Err(not_http()),
        };
        let host = match parsed.host() {
            Some(::url::Host::Domain(d)) => d.to_owned(),
            Some(::url::Host::Ipv4(ip)) => ip.to_string(),
            Some(::url::Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(format!("no host in {url}")),
        };
        let port = parsed
            .port_or_known_default()
            .unwrap_or(if tls { 443 } else { 80 });
        let mut target = parsed.path().to_owned();
        if let Some(q) = parsed.query() {
            target.push('?');
            target.push_str(q);
        }
        Ok(Url {
            tls,
            host,
            port,
            target,
        })
    }

    /// `host:port` (`[v6]:port`), as messages name it.
    pub(crate) fn authority(&self) -> String {
        format!("{}:{}", self.bracketed_host(), self.port)
    }

    /// The `Host` header: the authority, without the scheme's default port (as browsers and
    /// curl send it; some virtual hosts match `api.example.com` but not `api.example.com:443`).
    pub(crate) fn host_header(&self) -> String {
        let default_port = if self.tls { 443 } else { 80 };
        if self.port == default_port {
            self.bracketed_host()
        } else {
            self.authority()
        }
    }

    fn bracketed_host(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let u = Url::parse("http://127.0.0.1:8080/v1/chat/completions?x=1").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.target.as_str()),
            (false, "127.0.0.1", 8080, "/v1/chat/completions?x=1")
        );
        let u = Url::parse("http://localhost").unwrap();
        assert_eq!((u.port, u.target.as_str()), (80, "/"));
        let u = Url::parse("http://[::1]:9/a").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 9));
        let u = Url::parse("https://api.openai.com/v1").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.target.as_str()),
            (true, "api.openai.com", 443, "/v1")
        );
        let u = Url::parse("https://127.0.0.1:8443?q").unwrap();
        assert_eq!((u.tls, u.port, u.target.as_str()), (true, 8443, "/?q"));
        assert!(Url::parse("ftp://x").is_err());
        let host = |url| Url::parse(url).unwrap().host_header();
        assert_eq!(host("https://api.openai.com/v1"), "api.openai.com");
        assert_eq!(host("https://[::1]/"), "[::1]");
        assert_eq!(host("https://[::1]:80/"), "[::1]:80");
        assert_eq!(host("http://localhost/"), "localhost");
        assert_eq!(host("http://127.0.0.1:8080/"), "127.0.0.1:8080");
        assert!(Url::parse("https://:443/").is_err());
        assert_eq!(
            Url::parse("localhost:8080").unwrap_err(),
            "not an http:// or https:// URL: localhost:8080"
        );
        assert!(Url::parse("http://h:99999/").is_err());
        let u = Url::parse("HTTP://API.Example.com/a/../b?x=1#frag").unwrap();
        assert_eq!(
            (u.host.as_str(), u.target.as_str()),
            ("api.example.com", "/b?x=1")
        );
    }
}
