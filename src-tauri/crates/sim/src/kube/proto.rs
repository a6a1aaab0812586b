//! Just enough of Kubernetes' protobuf encoding to read what typed clients send as protobuf
//! bodies: kubectl's `auth can-i` posts its SelfSubjectAccessReview that way. Answers are JSON,
//! which those clients accept.

use serde_json::{Map, Value, json};

const MAGIC: &[u8] = b"k8s\0";

pub fn is_protobuf(content_type: &str) -> bool {
    content_type.starts_with("application/vnd.kubernetes.protobuf")
}

/// Reads a protobuf-encoded SelfSubjectAccessReview into its JSON form.
pub fn decode_access_review(body: &[u8]) -> Result<Value, String> {
    let body = body
        .strip_prefix(MAGIC)
        .ok_or("not a Kubernetes protobuf message")?;
    let raw = fields(body)?
        .into_iter()
        .find_map(|(n, v)| (n == 2).then_some(v))
        .ok_or("the protobuf envelope has no object")?;
    let spec = fields(raw)?
        .into_iter()
        .find_map(|(n, v)| (n == 2).then_some(v))
        .unwrap_or_default();
    let mut out = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "metadata": {}, "spec": {}});
    for (n, v) in fields(spec)? {
        match n {
            1 => {
                let names = [
                    "namespace",
                    "verb",
                    "group",
                    "version",
                    "resource",
                    "subresource",
                    "name",
                ];
                out["spec"]["resourceAttributes"] = Value::Object(strings(v, &names)?);
            }
            2 => {
                out["spec"]["nonResourceAttributes"] = Value::Object(strings(v, &["path", "verb"])?)
            }
            _ => {}
        }
    }
    Ok(out)
}

fn strings(message: &[u8], names: &[&str]) -> Result<Map<String, Value>, String> {
    let mut map = Map::new();
    for (n, v) in fields(message)? {
        if let Some(name) = usize::try_from(n)
            .ok()
            .and_then(|i| names.get(i.wrapping_sub(1)))
        {
            map.insert((*name).to_owned(), json!(String::from_utf8_lossy(v)));
        }
    }
    Ok(map)
}

/// The length-delimited fields of a message (others are skipped), as (field number, bytes).
fn fields(mut buf: &[u8]) -> Result<Vec<(u64, &[u8])>, String> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let key = varint(&mut buf)?;
        let (number, wire) = (key >> 3, key & 7);
        match wire {
            0 => {
                varint(&mut buf)?;
            }
            1 => buf = buf.get(8..).ok_or("truncated fixed64")?,
            2 => {
                let len = usize::try_from(varint(&mut buf)?).map_err(|_| "length overflows")?;
                let value = buf.get(..len).ok_or("truncated field")?;
                out.push((number, value));
                buf = &buf[len..];
            }
            5 => buf = buf.get(4..).ok_or("truncated fixed32")?,
            _ => return Err(format!("unsupported protobuf wire type {wire}")),
        }
    }
    Ok(out)
}

fn varint(buf: &mut &[u8]) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = buf.split_first().ok_or("truncated varint")?;
        *buf = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("varint too long".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: u8, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![(n << 3) | 2, bytes.len() as u8];
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn decodes_what_kubectl_auth_can_i_sends() {
        let attrs = [
            field(1, b"production"),
            field(2, b"patch"),
            field(3, b"apps"),
            field(5, b"deployments"),
        ]
        .concat();
        let spec = field(1, &attrs);
        let review = [field(1, b""), field(2, &spec)].concat();
        let type_meta = [
            field(1, b"authorization.k8s.io/v1"),
            field(2, b"SelfSubjectAccessReview"),
        ]
        .concat();
        let envelope = [MAGIC.to_vec(), field(1, &type_meta), field(2, &review)].concat();
        let json = decode_access_review(&envelope).unwrap();
        assert_eq!(
            json["spec"]["resourceAttributes"],
            json!({"namespace": "production", "verb": "patch", "group": "apps", "resource": "deployments"})
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(decode_access_review(b"nope").is_err());
        assert!(decode_access_review(b"k8s\0\x12\xff").is_err());
        assert!(decode_access_review(b"k8s\0\x0f").is_err());
    }
}
