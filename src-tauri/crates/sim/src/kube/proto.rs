//! Just enough protobuf: reading what typed clients send as Kubernetes protobuf bodies
//! (kubectl's `auth can-i` posts its SelfSubjectAccessReview that way; answers are JSON, which
//! those clients accept), and writing the OpenAPI v2 document as the gnostic
//! `openapi.v2.Document` (google/gnostic-models `openapiv2/OpenAPIv2.proto`), the only form
//! client-go reads `/openapi/v2` in.

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

/// A field's value on the wire: a varint, or length-delimited bytes (fixed-width ones are not
/// used by the messages read here and are skipped).
#[derive(Debug, Clone, Copy)]
enum Wire<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

/// Every field of a message, as (field number, value), in order.
fn wire_fields(mut buf: &[u8]) -> Result<Vec<(u64, Wire<'_>)>, String> {
    let mut out = Vec::new();
    while !buf.is_empty() {
        let key = varint(&mut buf)?;
        let (number, wire) = (key >> 3, key & 7);
        match wire {
            0 => out.push((number, Wire::Varint(varint(&mut buf)?))),
            1 => buf = buf.get(8..).ok_or("truncated fixed64")?,
            2 => {
                let len = usize::try_from(varint(&mut buf)?).map_err(|_| "length overflows")?;
                let value = buf.get(..len).ok_or("truncated field")?;
                out.push((number, Wire::Bytes(value)));
                buf = &buf[len..];
            }
            5 => buf = buf.get(4..).ok_or("truncated fixed32")?,
            _ => return Err(format!("unsupported protobuf wire type {wire}")),
        }
    }
    Ok(out)
}

/// The length-delimited fields of a message (others are skipped), as (field number, bytes).
fn fields(buf: &[u8]) -> Result<Vec<(u64, &[u8])>, String> {
    Ok(wire_fields(buf)?
        .into_iter()
        .filter_map(|(n, v)| match v {
            Wire::Bytes(b) => Some((n, b)),
            Wire::Varint(_) => None,
        })
        .collect())
}

fn utf8(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|_| "a string field is not UTF-8".to_owned())
}

/// `map<string, string>` or `map<string, bytes>` entries (key 1, value 2); bytes become the
/// base64 text JSON carries them as.
fn map_entry(entry: &[u8], bytes: bool) -> Result<(String, Value), String> {
    let mut key = String::new();
    let mut value = Vec::new();
    for (n, v) in fields(entry)? {
        match n {
            1 => key = utf8(v)?,
            2 => value = v.to_vec(),
            _ => {}
        }
    }
    let value = if bytes {
        use base64::Engine;
        json!(base64::engine::general_purpose::STANDARD.encode(value))
    } else {
        json!(utf8(&value)?)
    };
    Ok((key, value))
}

/// `meta.v1.Time` (seconds, nanos) as RFC 3339; the zero time is no time.
fn time(message: &[u8]) -> Result<Option<String>, String> {
    let seconds = wire_fields(message)?
        .into_iter()
        .find_map(|(n, v)| match (n, v) {
            (1, Wire::Varint(s)) => Some(s as i64),
            _ => None,
        })
        .unwrap_or(0);
    if seconds == 0 {
        return Ok(None);
    }
    let t = jiff::Timestamp::from_second(seconds).map_err(|e| e.to_string())?;
    Ok(Some(t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()))
}

/// `meta.v1.ObjectMeta`, with what clients set on writes; empty fields are left out, as JSON
/// leaves them out.
fn object_meta(message: &[u8]) -> Result<Value, String> {
    let mut meta = Map::new();
    let mut labels = Map::new();
    let mut annotations = Map::new();
    let mut finalizers = Vec::new();
    let mut owners = Vec::new();
    for (n, v) in wire_fields(message)? {
        match (n, v) {
            (1..=6, Wire::Bytes(b)) => {
                let name = [
                    "name",
                    "generateName",
                    "namespace",
                    "selfLink",
                    "uid",
                    "resourceVersion",
                ][usize::try_from(n - 1).unwrap_or_default()];
                let text = utf8(b)?;
                if !text.is_empty() {
                    meta.insert(name.into(), json!(text));
                }
            }
            (7, Wire::Varint(g)) if g != 0 => {
                meta.insert("generation".into(), json!(g as i64));
            }
            (8 | 9, Wire::Bytes(b)) => {
                if let Some(t) = time(b)? {
                    let name = if n == 8 {
                        "creationTimestamp"
                    } else {
                        "deletionTimestamp"
                    };
                    meta.insert(name.into(), json!(t));
                }
            }
            (10, Wire::Varint(s)) => {
                meta.insert("deletionGracePeriodSeconds".into(), json!(s as i64));
            }
            (11, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b, false)?;
                labels.insert(k, v);
            }
            (12, Wire::Bytes(b)) => {
                let (k, v) = map_entry(b, false)?;
                annotations.insert(k, v);
            }
            (13, Wire::Bytes(b)) => owners.push(owner_reference(b)?),
            (14, Wire::Bytes(b)) => finalizers.push(json!(utf8(b)?)),
            // managedFields (17) are the server's to keep.
            _ => {}
        }
    }
    for (name, map) in [("labels", labels), ("annotations", annotations)] {
        if !map.is_empty() {
            meta.insert(name.into(), Value::Object(map));
        }
    }
    if !owners.is_empty() {
        meta.insert("ownerReferences".into(), Value::Array(owners));
    }
    if !finalizers.is_empty() {
        meta.insert("finalizers".into(), Value::Array(finalizers));
    }
    Ok(Value::Object(meta))
}

fn owner_reference(message: &[u8]) -> Result<Value, String> {
    let mut owner = Map::new();
    for (n, v) in wire_fields(message)? {
        match (n, v) {
            (1 | 3 | 4 | 5, Wire::Bytes(b)) => {
                let name = match n {
                    1 => "kind",
                    3 => "name",
                    4 => "uid",
                    _ => "apiVersion",
                };
                owner.insert(name.into(), json!(utf8(b)?));
            }
            (6, Wire::Varint(b)) => {
                owner.insert("controller".into(), json!(b != 0));
            }
            (7, Wire::Varint(b)) => {
                owner.insert("blockOwnerDeletion".into(), json!(b != 0));
            }
            _ => {}
        }
    }
    Ok(Value::Object(owner))
}

/// The `runtime.Unknown` envelope after the magic: (apiVersion, kind, raw message).
fn envelope(body: &[u8]) -> Result<(String, String, &[u8]), String> {
    let body = body
        .strip_prefix(MAGIC)
        .ok_or("not a Kubernetes protobuf message")?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    for (n, v) in fields(body)? {
        match n {
            1 => {
                for (m, t) in fields(v)? {
                    match m {
                        1 => api_version = utf8(t)?,
                        2 => kind = utf8(t)?,
                        _ => {}
                    }
                }
            }
            2 => raw = v,
            _ => {}
        }
    }
    Ok((api_version, kind, raw))
}

/// Why a protobuf body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// A kind this simulator reads only as JSON.
    UnsupportedKind,
    Malformed(String),
}

impl From<String> for DecodeError {
    fn from(message: String) -> Self {
        Self::Malformed(message)
    }
}

impl From<&str> for DecodeError {
    fn from(message: &str) -> Self {
        Self::Malformed(message.to_owned())
    }
}

/// A protobuf-encoded object of `kind` as its JSON form. Typed client-go clients write
/// built-in kinds this way (client-go 0.35 and later prefer protobuf; Helm 3.22's release
/// storage writes its Secrets so); only the kinds such clients write here are read, the others
/// come as JSON from every client this simulator serves.
pub fn decode_object(body: &[u8], kind: super::resources::Kind) -> Result<Value, DecodeError> {
    use super::resources::Kind;
    let (api_version, kind_name, raw) = envelope(body)?;
    let mut out = Map::new();
    if !api_version.is_empty() {
        out.insert("apiVersion".into(), json!(api_version));
    }
    if !kind_name.is_empty() {
        out.insert("kind".into(), json!(kind_name));
    }
    // Secret: data 2 (bytes), type 3, stringData 4; ConfigMap: data 2 (string), binaryData 3.
    let (maps, type_field): (&[(u64, &str, bool)], Option<u64>) = match kind {
        Kind::Secret => (&[(2, "data", true), (4, "stringData", false)], Some(3)),
        Kind::ConfigMap => (&[(2, "data", false), (3, "binaryData", true)], None),
        _ => return Err(DecodeError::UnsupportedKind),
    };
    for (n, v) in wire_fields(raw)? {
        match (n, v) {
            (1, Wire::Bytes(b)) => {
                out.insert("metadata".into(), object_meta(b)?);
            }
            (n, Wire::Bytes(b)) if Some(n) == type_field => {
                let text = utf8(b)?;
                if !text.is_empty() {
                    out.insert("type".into(), json!(text));
                }
            }
            (n, Wire::Bytes(b)) => {
                if let Some((_, name, bytes)) = maps.iter().find(|(f, _, _)| *f == n) {
                    let (k, value) = map_entry(b, *bytes)?;
                    let entry = out.entry(*name).or_insert_with(|| json!({}));
                    if let Some(m) = entry.as_object_mut() {
                        m.insert(k, value);
                    }
                }
            }
            // `immutable` (5 for a Secret, 4 for a ConfigMap).
            (5, Wire::Varint(b)) if kind == Kind::Secret => {
                out.insert("immutable".into(), json!(b != 0));
            }
            (4, Wire::Varint(b)) if kind == Kind::ConfigMap => {
                out.insert("immutable".into(), json!(b != 0));
            }
            _ => {}
        }
    }
    Ok(Value::Object(out))
}

/// A protobuf-encoded `DeleteOptions` (what typed clients send with a DELETE) as JSON.
pub fn decode_delete_options(body: &[u8]) -> Result<Value, String> {
    let (_, _, raw) = envelope(body)?;
    let mut out = Map::new();
    for (n, v) in wire_fields(raw)? {
        match (n, v) {
            (1, Wire::Varint(s)) => {
                out.insert("gracePeriodSeconds".into(), json!(s as i64));
            }
            (2, Wire::Bytes(b)) => {
                let mut pre = Map::new();
                for (m, t) in fields(b)? {
                    let name = match m {
                        1 => "uid",
                        2 => "resourceVersion",
                        _ => continue,
                    };
                    pre.insert(name.into(), json!(utf8(t)?));
                }
                out.insert("preconditions".into(), Value::Object(pre));
            }
            (4, Wire::Bytes(b)) => {
                out.insert("propagationPolicy".into(), json!(utf8(b)?));
            }
            _ => {}
        }
    }
    Ok(Value::Object(out))
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

/// A protobuf message being written. Fields at their proto3 default are left out, as the
/// generated Go code does.
#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.0.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.0.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: u8) {
        self.varint((u64::from(field) << 3) | u64::from(wire));
    }

    fn bytes(&mut self, field: u32, bytes: &[u8]) {
        self.key(field, 2);
        self.varint(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }

    fn string(&mut self, field: u32, s: &str) {
        if !s.is_empty() {
            self.bytes(field, s.as_bytes());
        }
    }

    fn strings(&mut self, field: u32, list: &Value) {
        for s in list
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            self.bytes(field, s.as_bytes());
        }
    }

    /// A string field of `json`, when it is one.
    fn string_of(&mut self, field: u32, json: &Value) {
        if let Some(s) = json.as_str() {
            self.string(field, s);
        }
    }

    fn bool(&mut self, field: u32, json: &Value) {
        if json.as_bool() == Some(true) {
            self.key(field, 0);
            self.varint(1);
        }
    }

    fn int64(&mut self, field: u32, json: &Value) {
        if let Some(n) = json.as_i64().filter(|n| *n != 0) {
            self.key(field, 0);
            self.varint(n as u64);
        }
    }

    fn double(&mut self, field: u32, json: &Value) {
        if let Some(f) = json.as_f64().filter(|f| *f != 0.0) {
            self.key(field, 1);
            self.0.extend_from_slice(&f.to_le_bytes());
        }
    }

    fn message(&mut self, field: u32, m: Writer) {
        self.bytes(field, &m.0);
    }
}

/// `Any {yaml}`: gnostic keeps extension values and defaults as YAML text, and JSON is YAML.
fn any(value: &Value) -> Writer {
    let mut w = Writer::default();
    w.string(2, &value.to_string());
    w
}

/// The `x-…` members of `map` as `NamedAny`s at `field`.
fn vendor_extensions(w: &mut Writer, field: u32, map: &Map<String, Value>) {
    for (name, value) in map.iter().filter(|(k, _)| k.starts_with("x-")) {
        let mut named = Writer::default();
        named.string(1, name);
        named.message(2, any(value));
        w.message(field, named);
    }
}

fn named<F: Fn(&Value) -> Writer>(name: &str, value: &Value, encode: F) -> Writer {
    let mut w = Writer::default();
    w.string(1, name);
    w.message(2, encode(value));
    w
}

fn schema(s: &Value) -> Writer {
    let mut w = Writer::default();
    let Some(map) = s.as_object() else {
        return w;
    };
    w.string_of(1, &s["$ref"]);
    w.string_of(2, &s["format"]);
    w.string_of(3, &s["title"]);
    w.string_of(4, &s["description"]);
    if let Some(default) = map.get("default") {
        w.message(5, any(default));
    }
    w.double(6, &s["multipleOf"]);
    w.double(7, &s["maximum"]);
    w.bool(8, &s["exclusiveMaximum"]);
    w.double(9, &s["minimum"]);
    w.bool(10, &s["exclusiveMinimum"]);
    w.int64(11, &s["maxLength"]);
    w.int64(12, &s["minLength"]);
    w.string_of(13, &s["pattern"]);
    w.int64(14, &s["maxItems"]);
    w.int64(15, &s["minItems"]);
    w.bool(16, &s["uniqueItems"]);
    w.int64(17, &s["maxProperties"]);
    w.int64(18, &s["minProperties"]);
    w.strings(19, &s["required"]);
    for e in s["enum"].as_array().into_iter().flatten() {
        w.message(20, any(e));
    }
    match map.get("additionalProperties") {
        Some(Value::Bool(b)) => {
            let mut item = Writer::default();
            item.key(2, 0);
            item.varint(u64::from(*b));
            w.message(21, item);
        }
        Some(sub @ Value::Object(_)) => {
            let mut item = Writer::default();
            item.message(1, schema(sub));
            w.message(21, item);
        }
        _ => {}
    }
    match map.get("type") {
        Some(Value::String(t)) => {
            let mut ty = Writer::default();
            ty.string(1, t);
            w.message(22, ty);
        }
        Some(list @ Value::Array(_)) => {
            let mut ty = Writer::default();
            ty.strings(1, list);
            w.message(22, ty);
        }
        _ => {}
    }
    match map.get("items") {
        Some(Value::Array(list)) => {
            let mut items = Writer::default();
            for item in list {
                items.message(1, schema(item));
            }
            w.message(23, items);
        }
        Some(item @ Value::Object(_)) => {
            let mut items = Writer::default();
            items.message(1, schema(item));
            w.message(23, items);
        }
        _ => {}
    }
    for sub in s["allOf"].as_array().into_iter().flatten() {
        w.message(24, schema(sub));
    }
    if let Some(props) = map.get("properties").and_then(Value::as_object) {
        let mut properties = Writer::default();
        for (name, sub) in props {
            properties.message(1, named(name, sub, schema));
        }
        w.message(25, properties);
    }
    w.string_of(26, &s["discriminator"]);
    w.bool(27, &s["readOnly"]);
    vendor_extensions(&mut w, 31, map);
    w
}

/// `ParametersItem { Parameter { BodyParameter | NonBodyParameter { query | path } } }`.
fn parameter(p: &Value) -> Writer {
    let mut param = Writer::default();
    match p["in"].as_str().unwrap_or_default() {
        "body" => {
            let mut body = Writer::default();
            body.string_of(1, &p["description"]);
            body.string_of(2, &p["name"]);
            body.string_of(3, &p["in"]);
            body.bool(4, &p["required"]);
            body.message(5, schema(&p["schema"]));
            param.message(1, body);
        }
        place => {
            // QueryParameterSubSchema and PathParameterSubSchema number their fields alike up
            // to `name`; the query one has `allow_empty_value` (5) before `type`.
            let path = place == "path";
            let mut sub = Writer::default();
            sub.bool(1, &p["required"]);
            sub.string_of(2, &p["in"]);
            sub.string_of(3, &p["description"]);
            sub.string_of(4, &p["name"]);
            let shift = u32::from(!path);
            sub.string_of(5 + shift, &p["type"]);
            sub.string_of(6 + shift, &p["format"]);
            sub.bool(19 + shift, &p["uniqueItems"]);
            let mut non_body = Writer::default();
            non_body.message(if path { 4 } else { 3 }, sub);
            param.message(2, non_body);
        }
    }
    let mut item = Writer::default();
    item.message(1, param);
    item
}

fn operation(op: &Value) -> Writer {
    let mut w = Writer::default();
    let Some(map) = op.as_object() else {
        return w;
    };
    w.strings(1, &op["tags"]);
    w.string_of(2, &op["summary"]);
    w.string_of(3, &op["description"]);
    w.string_of(5, &op["operationId"]);
    w.strings(6, &op["produces"]);
    w.strings(7, &op["consumes"]);
    for p in op["parameters"].as_array().into_iter().flatten() {
        w.message(8, parameter(p));
    }
    if let Some(responses) = op["responses"].as_object() {
        let mut codes = Writer::default();
        for (code, r) in responses {
            let mut response = Writer::default();
            response.string_of(1, &r["description"]);
            if r["schema"].is_object() {
                let mut item = Writer::default();
                item.message(1, schema(&r["schema"]));
                response.message(2, item);
            }
            let mut value = Writer::default();
            value.message(1, response);
            let mut named = Writer::default();
            named.string(1, code);
            named.message(2, value);
            codes.message(1, named);
        }
        w.message(9, codes);
    }
    w.strings(10, &op["schemes"]);
    w.bool(11, &op["deprecated"]);
    vendor_extensions(&mut w, 13, map);
    w
}

fn path_item(item: &Value) -> Writer {
    let mut w = Writer::default();
    for (method, field) in [
        ("get", 2),
        ("put", 3),
        ("post", 4),
        ("delete", 5),
        ("options", 6),
        ("head", 7),
        ("patch", 8),
    ] {
        if item[method].is_object() {
            w.message(field, operation(&item[method]));
        }
    }
    for p in item["parameters"].as_array().into_iter().flatten() {
        w.message(9, parameter(p));
    }
    w
}

/// The Swagger 2.0 document `doc` as a gnostic `openapi.v2.Document`: what it holds of info,
/// paths (operations, parameters, responses, vendor extensions), definitions and security.
pub fn openapi_v2_document(doc: &Value) -> Vec<u8> {
    let mut w = Writer::default();
    w.string_of(1, &doc["swagger"]);
    let mut info = Writer::default();
    info.string_of(1, &doc["info"]["title"]);
    info.string_of(2, &doc["info"]["version"]);
    w.message(2, info);
    if let Some(paths) = doc["paths"].as_object() {
        let mut list = Writer::default();
        for (path, item) in paths {
            list.message(2, named(path, item, path_item));
        }
        w.message(8, list);
    }
    if let Some(defs) = doc["definitions"].as_object() {
        let mut list = Writer::default();
        for (name, s) in defs {
            list.message(1, named(name, s, schema));
        }
        w.message(9, list);
    }
    for requirement in doc["security"].as_array().into_iter().flatten() {
        let mut req = Writer::default();
        for (name, scopes) in requirement.as_object().into_iter().flatten() {
            let mut array = Writer::default();
            array.strings(1, scopes);
            let mut entry = Writer::default();
            entry.string(1, name);
            entry.message(2, array);
            req.message(1, entry);
        }
        w.message(12, req);
    }
    if let Some(defs) = doc["securityDefinitions"].as_object() {
        let mut list = Writer::default();
        for (name, d) in defs {
            let mut api_key = Writer::default();
            api_key.string_of(1, &d["type"]);
            api_key.string_of(2, &d["name"]);
            api_key.string_of(3, &d["in"]);
            api_key.string_of(4, &d["description"]);
            let mut item = Writer::default();
            item.message(2, api_key);
            let mut entry = Writer::default();
            entry.string(1, name);
            entry.message(2, item);
            list.message(1, entry);
        }
        w.message(13, list);
    }
    w.0
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

    /// The length-delimited field `n` of `message`, each occurrence.
    fn all(message: &[u8], n: u64) -> Vec<&[u8]> {
        fields(message)
            .unwrap()
            .into_iter()
            .filter(|(f, _)| *f == n)
            .map(|(_, v)| v)
            .collect()
    }

    fn one(message: &[u8], n: u64) -> &[u8] {
        all(message, n).first().copied().unwrap_or_default()
    }

    fn text(bytes: &[u8]) -> &str {
        std::str::from_utf8(bytes).unwrap()
    }

    /// The `x-kubernetes-group-version-kind` among the NamedAny extensions at field `n`.
    fn gvk(message: &[u8], n: u64) -> Value {
        all(message, n)
            .into_iter()
            .find(|ext| text(one(ext, 1)) == "x-kubernetes-group-version-kind")
            .map(|ext| serde_json::from_str(text(one(one(ext, 2), 2))).unwrap())
            .unwrap_or(Value::Null)
    }

    #[test]
    fn the_openapi_v2_document_reads_back_as_clients_read_it() {
        // Walks the bytes by gnostic's field numbers, as client-go's QueryParamVerifier and
        // kube-openapi's model parser do: Document.paths(8).path(2) → NamedPathItem, its
        // PathItem.patch(8) → Operation, with vendor_extension(13) and parameters(8).
        let doc = super::super::openapi::v2_protobuf();
        let paths = one(doc, 8);
        let item = all(paths, 2)
            .into_iter()
            .find(|p| {
                text(one(p, 1))
                    == "/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses/{name}"
            })
            .expect("the ingress path");
        let patch = one(one(item, 2), 8);
        assert_eq!(
            gvk(patch, 13),
            json!({"group": "networking.k8s.io", "kind": "Ingress", "version": "v1"})
        );
        let query_names: Vec<&str> = all(patch, 8)
            .into_iter()
            .map(|p| one(one(one(p, 1), 2), 3))
            .filter(|q| !q.is_empty())
            .map(|q| text(one(q, 4)))
            .collect();
        assert_eq!(
            query_names,
            ["dryRun", "fieldManager", "fieldValidation", "force"]
        );
        // Definitions(9) → NamedSchema(1): the Service's schema, its GVK and a property.
        let service = all(one(doc, 9), 1)
            .into_iter()
            .find(|d| text(one(d, 1)) == "io.k8s.api.core.v1.Service")
            .map(|d| one(d, 2))
            .expect("the Service definition");
        assert_eq!(
            gvk(service, 31),
            json!([{"group": "", "kind": "Service", "version": "v1"}])
        );
        let properties: Vec<&str> = all(one(service, 25), 1)
            .into_iter()
            .map(|p| text(one(p, 1)))
            .collect();
        assert_eq!(
            properties,
            ["apiVersion", "kind", "metadata", "spec", "status"]
        );
        assert_eq!(text(one(doc, 1)), "2.0");
    }

    /// `runtime.Unknown` with the magic, as client-go's protobuf serializer frames objects.
    fn framed(api_version: &str, kind: &str, raw: Writer) -> Vec<u8> {
        let mut type_meta = Writer::default();
        type_meta.string(1, api_version);
        type_meta.string(2, kind);
        let mut unknown = Writer::default();
        unknown.message(1, type_meta);
        unknown.message(2, raw);
        [MAGIC.to_vec(), unknown.0].concat()
    }

    fn entry(key: &str, value: &[u8]) -> Writer {
        let mut w = Writer::default();
        w.string(1, key);
        w.bytes(2, value);
        w
    }

    #[test]
    fn decodes_the_release_secret_helm_writes() {
        // What Helm 3.22's storage driver sends: client-go encodes the typed Secret.
        let mut meta = Writer::default();
        meta.string(1, "sh.helm.release.v1.tbyte-dev.v1");
        meta.bytes(3, b"");
        meta.message(8, Writer::default());
        for (k, v) in [
            ("name", "tbyte-dev"),
            ("owner", "helm"),
            ("status", "deployed"),
        ] {
            meta.message(11, entry(k, v.as_bytes()));
        }
        let mut secret = Writer::default();
        secret.message(1, meta);
        secret.message(2, entry("release", b"H4sI"));
        secret.string(3, "helm.sh/release.v1");
        let body = framed("v1", "Secret", secret);
        assert_eq!(
            decode_object(&body, super::super::resources::Kind::Secret).unwrap(),
            json!({
                "apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "sh.helm.release.v1.tbyte-dev.v1",
                             "labels": {"name": "tbyte-dev", "owner": "helm", "status": "deployed"}},
                "data": {"release": "SDRzSQ=="},
                "type": "helm.sh/release.v1",
            })
        );
        let mut cm = Writer::default();
        cm.message(2, entry("k", b"v"));
        assert_eq!(
            decode_object(
                &framed("v1", "ConfigMap", cm),
                super::super::resources::Kind::ConfigMap
            )
            .unwrap()["data"],
            json!({"k": "v"})
        );
        assert_eq!(
            decode_object(&body, super::super::resources::Kind::Deployment),
            Err(DecodeError::UnsupportedKind)
        );
        assert!(matches!(
            decode_object(b"k8s\0\x12\xff", super::super::resources::Kind::Secret),
            Err(DecodeError::Malformed(_))
        ));
    }

    #[test]
    fn decodes_delete_options_with_preconditions() {
        let mut pre = Writer::default();
        pre.string(1, "uid-1");
        pre.string(2, "42");
        let mut options = Writer::default();
        options.message(2, pre);
        options.string(4, "Background");
        assert_eq!(
            decode_delete_options(&framed("v1", "DeleteOptions", options)).unwrap(),
            json!({"preconditions": {"uid": "uid-1", "resourceVersion": "42"}, "propagationPolicy": "Background"})
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(decode_access_review(b"nope").is_err());
        assert!(decode_access_review(b"k8s\0\x12\xff").is_err());
        assert!(decode_access_review(b"k8s\0\x0f").is_err());
    }
}
