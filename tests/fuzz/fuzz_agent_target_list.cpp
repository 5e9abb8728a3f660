// SPDX-License-Identifier: Apache-2.0
// The multi-target agent's list on hostile text: the targets file itself, and the same text read as a
// downward-API annotations file whose podtap.io/targets value is Go-unquoted first. Whatever comes in, the
// targets that come out obey the list's rules, and every skipped line is accounted for.
#include "command_line.h"
#include "fuzz_support.h"
#include "heartbeat_file.h"
#include "target_list.h"

#include <set>
#include <string>

using namespace podtap::agent;
using podtap::fuzz::require;

namespace {

const AgentOptions &defaults()
{
    static const AgentOptions options = [] {
        const char *argv[] = {"podtap-agent", "mirror", "--targets-file", "/etc/podtap/annotations", "--remote",
            "198.51.100.2", "--session", "s1"};
        return parseCommandLine(8, argv);
    }();
    return options;
}

void checkList(const std::string &text)
{
    const TargetList list = parseTargetList(text, defaults());
    require(list.targets.size() <= kMaxTargets, "more targets than the limit");
    std::set<std::string> tags;
    std::set<std::uint32_t> vnis;
    std::set<std::string> devices;
    int lastLine = 0;
    for (const TargetSpec &spec : list.targets) {
        require(validTargetTag(spec.tag), "a target with an invalid tag");
        require(tags.insert(spec.tag).second, "a tag twice");
        require(spec.lineNumber > lastLine, "targets out of line order");
        lastLine = spec.lineNumber;
        const AgentOptions &o = spec.options;
        require(o.vni >= 1 && o.vni <= 16777215, "a VNI out of range");
        require(vnis.insert(o.vni).second, "a VNI twice");
        require(o.egressVni == 0 || vnis.insert(o.egressVni).second, "an egress VNI twice");
        require(validInterfaceName(o.name) && devices.insert(o.name).second, "a bad or repeated device name");
        require(o.egressVni == 0 || (validInterfaceName(o.egressName) && devices.insert(o.egressName).second),
            "a bad or repeated egress device name");
        require(validInterfaceName(o.interface), "a bad pod interface");
        require(o.ingress || o.egress, "a target mirroring no direction");
        require(o.target.kind != TargetSelector::Kind::None && !o.target.value.empty(), "a target without selector");
        require(o.sessionKey() == "s1/" + spec.tag, "a session key other than <session>/<TAG>");
        require(o.targetsFile.empty() && o.remote == "198.51.100.2", "a target without the command line's defaults");
        require(spec.line.rfind(spec.tag + " ", 0) == 0, "a line that does not start with its tag");
    }
    std::size_t lines = 1;
    for (const char c : text) {
        lines += c == '\n';
    }
    require(list.targets.size() + list.errors.size() <= lines, "more results than lines");
    for (const TargetLineError &error : list.errors) {
        require(error.lineNumber >= 1 && static_cast<std::size_t>(error.lineNumber) <= lines, "an error off the text");
        require(!error.target.empty() && !error.message.empty(), "an error without target or message");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char *>(data), size);
    checkList(text);

    std::string error;
    const std::optional<std::string> value = HeartbeatFile::unquotedAnnotation(text, "podtap.io/targets", &error);
    if (value) {
        require(value->size() + 2 <= text.size(), "an unquoted value longer than its literal");
        checkList(*value);
    }
    // Any bytes survive a %q-style quoting with \xNN escapes and come back unchanged.
    std::string quoted = "\"";
    for (const unsigned char c : text) {
        static const char hex[] = "0123456789abcdef";
        quoted += "\\x";
        quoted += hex[c >> 4];
        quoted += hex[c & 15];
    }
    quoted += '"';
    std::string back;
    require(HeartbeatFile::goUnquote(quoted, back, error) && back == text, "\\xNN quoting does not round-trip");
    return 0;
}
