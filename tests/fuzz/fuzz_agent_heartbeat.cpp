// SPDX-License-Identifier: Apache-2.0
// The heartbeat file (a downward-API annotations file) on hostile text: the value found comes from one
// line of the file. The value itself is opaque to the agent (only its changes count), so it is not parsed.
#include "fuzz_support.h"
#include "heartbeat_file.h"

#include <string>

using namespace podtap::agent;
using podtap::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string contents(reinterpret_cast<const char *>(data), size);
    const std::string_view key = "podtap.io/heartbeat";
    const std::optional<std::string> value = HeartbeatFile::annotation(contents, key);
    if (!value) {
        return 0;
    }
    require(value->find('\n') == std::string::npos, "an annotation value spans lines");
    require(contents.find(std::string(key) + "=" + *value) != std::string::npos ||
            contents.find(std::string(key) + "=\"" + *value + "\"") != std::string::npos,
        "an annotation value that is not written after its key");
    return 0;
}
