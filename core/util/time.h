// Backup times: epoch seconds <-> the snapshot directory form YYYY-MM-DDTHH:MM:SSZ (UTC).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cairn {

// "2024-05-01T10:00:00Z". REQUIRES: a year between 0 and 9999.
std::string FormatBackupTime(int64_t epoch);

// Parses exactly the snapshot directory form; nullopt for anything else (other zones,
// fractions, out-of-range fields).
std::optional<int64_t> ParseBackupTime(std::string_view text);

// Parses RFC 3339 with 'Z' or a numeric offset (and optional fractional seconds, ignored);
// used for --backup-time and key file dates.
std::optional<int64_t> ParseRfc3339(std::string_view text);

// Local time with numeric offset, "2024-06-10T08:13:20+02:00" (PBS key files).
std::string FormatLocalRfc3339(int64_t epoch);

}  // namespace cairn
