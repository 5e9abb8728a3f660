// SPDX-License-Identifier: Apache-2.0
// The heartbeat file (a downward-API annotations file) and its RFC 3339 time on hostile text: the
// value found comes from one line of the file, and a time that parses survives being written again.
#include "fuzz_support.h"
#include "heartbeat_file.h"

#include <cstdio>
#include <ctime>
#include <string>

using namespace podtap::agent;
using podtap::fuzz::require;

namespace {

void checkTime(std::string_view text)
{
    const std::optional<std::time_t> parsed = HeartbeatFile::parseRfc3339(text);
    if (!parsed) {
        return;
    }
    std::tm tm = {};
    require(::gmtime_r(&*parsed, &tm) != nullptr, "a parsed heartbeat is not a time");
    if (tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999) {
        return; // an offset moved it outside what four digits can write
    }
    char written[40];
    std::snprintf(written, sizeof written, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    require(HeartbeatFile::parseRfc3339(written) == parsed, "a parsed heartbeat does not survive writing it out");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string contents(reinterpret_cast<const char *>(data), size);
    checkTime(contents);
    const std::string_view key = "podtap.io/heartbeat";
    const std::optional<std::string> value = HeartbeatFile::annotation(contents, key);
    if (!value) {
        return 0;
    }
    require(value->find('\n') == std::string::npos, "an annotation value spans lines");
    require(contents.find(std::string(key) + "=" + *value) != std::string::npos ||
            contents.find(std::string(key) + "=\"" + *value + "\"") != std::string::npos,
        "an annotation value that is not written after its key");
    checkTime(*value);
    return 0;
}
