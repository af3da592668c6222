//! Passwords: the seed system's rule for new ones, and argon2id hashes (RustCrypto's
//! `argon2` with its default, OWASP-recommended parameters) in PHC string form.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Why a new password is refused, or `None` when it follows the rule: at least 8
/// characters with an upper-case letter, a lower-case letter and a digit (Auth's).
pub(crate) fn weakness(password: &str) -> Option<&'static str> {
    if password.chars().count() < 8 {
        return Some("a password needs at least 8 characters");
    }
    if password.chars().count() > 1024 {
        return Some("a password may have at most 1024 characters");
    }
    if !password.chars().any(char::is_uppercase) {
        return Some("a password needs an upper-case letter");
    }
    if !password.chars().any(char::is_lowercase) {
        return Some("a password needs a lower-case letter");
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        return Some("a password needs a digit");
    }
    None
}

/// The argon2id PHC string of `password`, with a fresh random salt.
pub(crate) fn hash(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the PHC string `stored` (constant-time inside argon2).
/// A malformed `stored` matches nothing.
pub(crate) fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// A hash of a random password, verified against when a user has no password, so a
/// login for an unknown user takes as long as one for a known user.
pub(crate) fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        let mut random = [0u8; 24];
        let _ = getrandom::fill(&mut random);
        hash(&format!("Decoy1{}", random.iter().map(|b| format!("{b:02x}")).collect::<String>()))
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_is_auths() {
        assert_eq!(weakness("Passw0rd"), None);
        assert!(weakness("Pass0rd").is_some(), "7 characters");
        assert!(weakness("password0").is_some(), "no upper-case letter");
        assert!(weakness("PASSWORD0").is_some(), "no lower-case letter");
        assert!(weakness("Password").is_some(), "no digit");
    }

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let one = hash("Correct horse 1").unwrap();
        assert!(one.starts_with("$argon2id$"));
        assert_ne!(one, hash("Correct horse 1").unwrap(), "a fresh salt each time");
        assert!(verify("Correct horse 1", &one));
        assert!(!verify("Correct horse 2", &one));
        assert!(!verify("Correct horse 1", "not a hash"));
        assert!(!verify("anything", decoy()));
    }
}
