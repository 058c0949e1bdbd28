#include "fs/snapshot_facts.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/util/error.h"

namespace cairn::fs {
namespace {

// A JSON string as nlohmann's dump() writes it (ensure_ascii off, invalid UTF-8 replaced).
void AppendString(std::string& out, std::string_view text) {
  if (std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    // Non-ASCII may be invalid UTF-8 (an owner file is free text): let the library decide.
    out += nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out += '"';
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[(c >> 4) & 0xf];
          out += kHex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

template <typename Integer>
void AppendNumber(std::string& out, Integer value) {
  char buffer[24];
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

// `,"key":` (without the comma for the first member).
void AppendKey(std::string& out, std::string_view key) {
  if (out.back() != '{') out += ',';
  out += '"';
  out += key;
  out += "\":";
}

}  // namespace

void AppendSnapshotListItem(std::string& out, const Snapshot& snapshot, const Manifest& manifest, bool is_protected,
                            const std::optional<std::string>& owner) {
  out += '{';
  AppendKey(out, "backup-id");
  AppendString(out, snapshot.group.id);
  AppendKey(out, "backup-time");
  AppendNumber(out, snapshot.time);
  AppendKey(out, "backup-type");
  AppendString(out, BackupTypeName(snapshot.group.type));
  if (std::optional<std::string> notes = manifest.notes()) {
    AppendKey(out, "comment");
    AppendString(out, std::string_view(*notes).substr(0, notes->find('\n')));
  }
  AppendKey(out, "files");
  out += '[';
  uint64_t size = 0;
  for (const ManifestFile& file : manifest.files()) {
    if (out.back() != '[') out += ',';
    out += '{';
    AppendKey(out, "crypt-mode");
    AppendString(out, CryptModeName(file.crypt_mode));
    AppendKey(out, "filename");
    AppendString(out, file.filename);
    AppendKey(out, "size");
    AppendNumber(out, file.size);
    out += '}';
    size += file.size;
  }
  out += ']';
  // A malformed unprotected member hides that fact only; the snapshot is still listed.
  std::optional<std::string> fingerprint;
  std::optional<SnapshotVerifyState> verify;
  try {
    verify = manifest.verify_state();
    if (manifest.key_fingerprint()) fingerprint = manifest.unprotected().at("key-fingerprint").get<std::string>();
  } catch (const Error&) {
  }
  if (fingerprint) {
    AppendKey(out, "fingerprint");
    AppendString(out, *fingerprint);
  }
  if (!snapshot.group.ns.IsRoot()) {
    AppendKey(out, "ns");
    AppendString(out, snapshot.group.ns.Name());
  }
  if (owner) {
    AppendKey(out, "owner");
    AppendString(out, *owner);
  }
  AppendKey(out, "protected");
  out += is_protected ? "true" : "false";
  AppendKey(out, "size");
  AppendNumber(out, size);
  if (verify) {
    AppendKey(out, "verification");
    out += '{';
    AppendKey(out, "state");
    AppendString(out, verify->state == VerifyState::kOk ? "ok" : "failed");
    AppendKey(out, "upid");
    AppendString(out, verify->upid);
    out += '}';
  }
  out += '}';
}

}  // namespace cairn::fs
