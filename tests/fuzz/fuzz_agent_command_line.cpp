// SPDX-License-Identifier: Apache-2.0
// podtap-agent's command line on hostile arguments: a usage error is an AgentError with exit code 2
// and a message (never another exception, never a crash), and what it accepts obeys the contract.
#include "agent_error.h"
#include "command_line.h"
#include "fuzz_support.h"
#include "pcapng/pcapng_blocks.h"

#include <linux/filter.h>

#include <string>
#include <vector>

using namespace podtap::agent;
using podtap::fuzz::require;

namespace {

void checkAccepted(const AgentOptions &o)
{
    using Command = AgentOptions::Command;
    if (o.command == Command::Help) {
        require(!o.helpText.empty(), "--help without text");
        return;
    }
    if (o.command == Command::Version) {
        return;
    }
    require(o.command != Command::None, "parsed without a command");
    const bool tunnel = o.command == Command::Mirror || o.command == Command::Receive;
    const bool noTarget = o.command == Command::Receive || o.command == Command::Hold;
    require(noTarget || o.target.kind != TargetSelector::Kind::None, "a target is missing");
    require(o.command != Command::Hold || o.target.kind == TargetSelector::Kind::None, "hold took a target");
    require(o.target.kind == TargetSelector::Kind::None || !o.target.value.empty(), "an empty target");
    require(o.target.kind != TargetSelector::Kind::ContainerId || o.target.value.find("://") == std::string::npos,
        "a container ID kept its runtime prefix");
    require(!tunnel || (o.vni >= 1 && o.vni <= 16777215), "a VNI outside 1-16777215");
    require(o.port >= 1, "port 0");
    require(o.command != Command::Mirror || parseIpLiteral(o.remote), "mirror without a valid --remote");
    require(o.remote.empty() || parseIpLiteral(o.remote), "an invalid --remote");
    require(o.local.empty() || parseIpLiteral(o.local), "an invalid --local");
    require(o.local.empty() || o.underlayDev.empty(), "both --local and --underlay-dev");
    require(o.underlayDev.empty() || validInterfaceName(o.underlayDev), "an invalid --underlay-dev");
    require(validInterfaceName(o.interface), "an invalid --interface");
    require(!tunnel || validInterfaceName(o.name), "an invalid device --name");
    require(o.ingress || o.egress, "no direction left");
    require(!o.bpf || (!o.bpf->instructions.empty() && o.bpf->instructions.size() <= BPF_MAXINSNS),
        "a --bpf program with no or too many instructions");
    require(o.session.size() <= 63, "a --session over 63 bytes");
    require(o.heartbeatTimeout >= 1 && o.statsInterval >= 0 && o.deadline >= 0, "a negative interval");
    require(!o.sessionKey().empty(), "an empty session key");
    // stream: every block it writes must stay under the pcapng limit, and its interface name is one line.
    require(o.snaplen >= 1 && o.snaplen <= podtap::pcapng::kMaxSnaplen, "a snaplen outside 1..the block limit");
    if (o.command == Command::Stream) {
        require(!o.ifName.empty() && o.ifName.size() <= kMaxIfNameBytes, "an empty or oversized --if-name");
        for (const char c : o.ifName) {
            require(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "a control character in --if-name");
        }
        require(o.statsInterval >= 0, "a negative stats interval");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // Arguments are separated by NUL bytes, as they are in /proc/<pid>/cmdline.
    std::vector<std::string> args = {"podtap-agent"};
    std::string current;
    for (std::size_t i = 0; i < size; ++i) {
        if (data[i] == 0) {
            args.push_back(current);
            current.clear();
        } else {
            current += static_cast<char>(data[i]);
        }
    }
    if (!current.empty()) {
        args.push_back(current);
    }
    std::vector<const char *> argv;
    for (const std::string &arg : args) {
        argv.push_back(arg.c_str());
    }
    argv.push_back(nullptr);

    try {
        checkAccepted(parseCommandLine(static_cast<int>(args.size()), argv.data()));
    } catch (const AgentError &error) {
        require(error.exitCode() == ExitUsage, "parsing the command line failed with an exit code other than 2");
        require(std::string(error.what()).size() > 10, "a usage error without a message");
    } catch (const std::exception &error) {
        std::fprintf(stderr, "escaped: %s\n", error.what());
        require(false, "an exception other than a usage error escaped the command-line parser");
    }
    return 0;
}
