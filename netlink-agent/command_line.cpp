// SPDX-License-Identifier: Apache-2.0
#include "command_line.h"

#include "agent_error.h"
#include "pcapng/pcapng_blocks.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <map>
#include <set>

namespace podtap::agent {

namespace {

const char *const kTargetHelp = "  TARGET (exactly one):\n"
                                "    --container-id ID   bare, or with containerd:// cri-o:// docker:// prefix\n"
                                "    --pod-uid UID       any process of the pod (dashes or systemd underscores)\n"
                                "    --pid PID           a process in the pod\n"
                                "    --netns PATH        a netns file, or a name under --netns-dir\n"
                                "    --proc-root DIR     the host's /proc (default /proc)\n"
                                "    --netns-dir DIR     where named netns live (default /var/run/netns)\n";

std::string overview()
{
    return "usage: podtap-agent COMMAND [flags]\n"
           "Mirrors a pod's interface into a VXLAN tunnel with tc (clsact + u32/bpf + mirred).\n\n"
           "commands:\n"
           "  mirror    mirror a pod interface into a VXLAN tunnel until stopped\n"
           "  receive   create the receiving VXLAN interface until stopped\n"
           "  cleanup   remove podtap filters and devices from a pod's netns\n"
           "  inspect   print a pod netns's links, qdiscs and filters as JSON\n"
           "  stream    capture a pod interface (AF_PACKET) and write pcapng to stdout until stopped\n"
           "  hold      idle until stopped: the agent pod that streams are run in through pods/exec\n\n"
           "podtap-agent COMMAND --help shows the flags; podtap-agent --version prints the version and\n"
           "the contract level.\n"
           "stdout carries JSON lines (ready, stats, warning, error, stopped); ready carries \"version\"\n"
           "and \"contract\", stopped the final counters. stream writes pcapng to stdout instead and its\n"
           "JSON lines to stderr. Exit codes: 0 stopped, 2 usage error, 3 target not found, 4 the kernel\n"
           "refused an operation.\n"
           "Under pkexec (PKEXEC_UID set) only receive runs; every other command exits 2.\n";
}

// Flags that take a value, per command. Boolean flags are listed separately.
const std::map<std::string, std::set<std::string>> kValueFlags = {
    {"mirror",
        {"--container-id", "--pod-uid", "--pid", "--netns", "--vni", "--remote", "--local", "--underlay-dev", "--port",
            "--interface", "--direction", "--name", "--egress-vni", "--egress-name", "--bpf", "--session",
            "--heartbeat-file", "--heartbeat-timeout", "--proc-root", "--netns-dir", "--stats-interval", "--deadline",
            "--targets-file", "--targets-key"}},
    {"receive", {"--vni", "--port", "--remote", "--local", "--underlay-dev", "--name"}},
    {"cleanup", {"--container-id", "--pod-uid", "--pid", "--netns", "--session", "--proc-root", "--netns-dir"}},
    {"inspect", {"--container-id", "--pod-uid", "--pid", "--netns", "--proc-root", "--netns-dir"}},
    {"stream",
        {"--container-id", "--pod-uid", "--pid", "--netns", "--interface", "--direction", "--bpf", "--snaplen",
            "--if-name", "--session", "--heartbeat-file", "--heartbeat-timeout", "--proc-root", "--netns-dir",
            "--stats-interval", "--deadline"}},
    {"hold", {"--session", "--heartbeat-file", "--heartbeat-timeout", "--deadline"}},
};
const std::map<std::string, std::set<std::string>> kBoolFlags = {
    {"mirror", {"--exit-with-parent"}},
    {"receive", {"--exit-with-parent"}},
    {"cleanup", {}},
    {"inspect", {}},
    {"stream", {}},
    {"hold", {}},
};

long long parseInteger(
    const std::string &flag, const std::string &text, long long min, long long max, const std::string &what)
{
    const std::string range = std::to_string(min) + "-" + std::to_string(max);
    bool digits = !text.empty() && text.size() <= 18;
    for (const char c : text) {
        digits = digits && c >= '0' && c <= '9';
    }
    if (!digits) {
        throw usageError(flag + " " + text + ": " + what + " must be a number in " + range);
    }
    const long long value = std::strtoll(text.c_str(), nullptr, 10);
    if (value < min || value > max) {
        throw usageError(flag + " " + text + ": " + what + " must be in " + range);
    }
    return value;
}

void requireInterfaceName(const std::string &flag, const std::string &name)
{
    if (!validInterfaceName(name)) {
        throw usageError(flag + " '" + name + "': an interface name is 1-15 bytes without '/', ':' or spaces (" +
            std::to_string(name.size()) + " bytes given)");
    }
}

void requireIp(const std::string &flag, const std::string &text)
{
    if (!parseIpLiteral(text)) {
        throw usageError(flag + " '" + text + "': not an IPv4 or IPv6 address");
    }
}

} // namespace

bool validInterfaceName(const std::string &name)
{
    if (name.empty() || name.size() > 15 || name == "." || name == "..") {
        return false;
    }
    return std::none_of(name.begin(), name.end(), [](char c) {
        return c == '/' || c == ':' || c == ' ' || c == '\t' || c == '\n' || static_cast<unsigned char>(c) < 0x21;
    });
}

bool parseIpLiteral(const std::string &text, int *family, void *address)
{
    in6_addr scratch = {};
    void *out = address ? address : &scratch;
    if (::inet_pton(AF_INET, text.c_str(), out) == 1) {
        if (family) {
            *family = AF_INET;
        }
        return true;
    }
    if (::inet_pton(AF_INET6, text.c_str(), out) == 1) {
        if (family) {
            *family = AF_INET6;
        }
        return true;
    }
    return false;
}

std::vector<std::string> AgentOptions::hooks() const
{
    std::vector<std::string> result;
    if (ingress) {
        result.emplace_back("ingress");
    }
    if (egress) {
        result.emplace_back("egress");
    }
    return result;
}

std::string usageText(const std::string &command)
{
    if (command == "mirror") {
        return std::string("usage: podtap-agent mirror TARGET --vni N --remote IP [flags]\n"
                           "       podtap-agent mirror --targets-file PATH [--targets-key KEY] --remote IP [flags]\n"
                           "Mirrors a pod interface into a VXLAN device created in the node netns and moved into\n"
                           "the pod netns; tears everything down on SIGTERM/SIGINT, heartbeat lapse, deadline,\n"
                           "when the pod's processes are gone, or when the VXLAN device is changed under it\n"
                           "(error event, code device-changed). The device has no address and drops all it\n"
                           "receives (eBPF on its ingress): nothing from the tunnel reaches the pod.\n") +
            kTargetHelp +
            "  --vni N               VXLAN network identifier, 1-16777215 (required)\n"
            "  --remote IP           where the tunnel leads (required)\n"
            "  --local IP            tunnel source address (default: the address routing to --remote)\n"
            "  --underlay-dev DEV    node device carrying the tunnel (default: found from --local)\n"
            "  --port N              UDP destination port (default 4789)\n"
            "  --interface NAME      pod interface to mirror (default eth0)\n"
            "  --direction D         ingress, egress or both (default both)\n"
            "  --name NAME           VXLAN device name in the pod netns (default ptap<vni>)\n"
            "  --egress-vni M        send the egress hook's frames through a second VXLAN device with VNI M\n"
            "                        (same remote, local, port and underlay; must differ from --vni), so the\n"
            "                        receiver tells the direction from the VNI; --vni N then carries ingress\n"
            "                        only. Needs --direction both or egress. Default: one device for both\n"
            "  --egress-name NAME    the second device's name (default <name>e)\n"
            "  --bpf PROGRAM         classic BPF in tcpdump -ddd form: count, then `code jt jf k` lines\n"
            "                        (newline or comma separated); default: mirror everything\n"
            "  --session ID          session this mirror belongs to; scopes leftover cleanup\n"
            "  --heartbeat-file F    downward-API annotations file with podtap.io/heartbeat (any value)\n"
            "  --heartbeat-timeout S stop when the heartbeat has not changed for S seconds, timed on\n"
            "                        this node's monotonic clock, never compared with a wall clock\n"
            "                        (default 180; a missing file counts from the agent's start)\n"
            "  --stats-interval S    seconds between stats events, 0 for none (default 5)\n"
            "  --deadline S          stop after S seconds\n"
            "  --exit-with-parent    stop when the parent process dies (PR_SET_PDEATHSIG)\n"
            "Many targets in one process:\n"
            "  --targets-file PATH   one target per line, re-read about once a second (and on inotify):\n"
            "                          TAG FLAG VALUE [FLAG VALUE ...]\n"
            "                        TAG is 1-253 bytes of A-Z a-z 0-9 . _ / - and unique (e.g. ns/pod);\n"
            "                        the flags are exactly one of --container-id, --pod-uid, --pid, --netns,\n"
            "                        then --vni N (required), --egress-vni M, --interface, --direction,\n"
            "                        --name, --egress-name. At most 256 targets; VNIs and device names\n"
            "                        unique. Blank lines and lines starting with # are ignored. The other\n"
            "                        flags above are defaults for every line; TARGET, --vni, --egress-vni,\n"
            "                        --name and --egress-name are refused on the command line.\n"
            "                        A new line is installed, a removed one torn down (stopped, reason\n"
            "                        removed), a changed one torn down (reason changed) and installed again.\n"
            "                        A bad line is an error event (code bad-target) and is skipped. Every\n"
            "                        target's events carry \"target\": TAG and its marks the session key\n"
            "                        <session>/<TAG>; a `targets` event (active, ended, version, contract)\n"
            "                        follows every change. A signal, heartbeat lapse or deadline stops every\n"
            "                        target, then the agent (stopped without target, with \"targets\": N).\n"
            "  --targets-key KEY     the list is the value of annotation KEY in a downward-API annotations\n"
            "                        file (KEY=\"VALUE\", Go-quoted, e.g. podtap.io/targets); a missing\n"
            "                        key is an empty list\n";
    }
    if (command == "receive") {
        return "usage: podtap-agent receive --vni N [flags]\n"
               "Creates the receiving VXLAN interface in this netns, prints a ready event, waits for\n"
               "SIGTERM/SIGINT, a `stop` line or the end of stdin (when stdin is a pipe or socket: a\n"
               "console without root stops a receiver pkexec started this way), and deletes it.\n"
               "The only command that runs under pkexec.\n"
               "  --vni N               VXLAN network identifier, 1-16777215 (required)\n"
               "  --port N              UDP port to listen on (default 4789)\n"
               "  --remote IP           the sender node: accept tunnel packets for this VNI only from it\n"
               "                        (an nftables table podtap-recv-<name> owned by this process)\n"
               "  --local IP            local tunnel address\n"
               "  --underlay-dev DEV    device the tunnel arrives on\n"
               "  --name NAME           interface name (default mirror)\n"
               "  --exit-with-parent    stop when the parent process dies (PR_SET_PDEATHSIG)\n";
    }
    if (command == "cleanup") {
        return std::string("usage: podtap-agent cleanup TARGET [--session ID]\n"
                           "Removes podtap filters and VXLAN devices from the target's netns: those of one session\n"
                           "with --session, all of podtap's otherwise. Other filters and qdiscs are left alone.\n") +
            kTargetHelp + "  --session ID          only this session's filters and devices\n";
    }
    if (command == "inspect") {
        return std::string("usage: podtap-agent inspect TARGET\n"
                           "Prints one JSON object: netns, links (name, index, MAC, MTU, kind), qdiscs and filters\n"
                           "(podtap's marked).\n") +
            kTargetHelp;
    }
    if (command == "stream") {
        return std::string("usage: podtap-agent stream TARGET [flags]\n"
                           "Captures a pod interface with an AF_PACKET socket (TPACKET_V3 ring) in the target's netns\n"
                           "and writes pcapng to stdout: one interface block (Ethernet, nanosecond timestamps), then\n"
                           "one enhanced packet block per frame with the kernel timestamp and the direction in\n"
                           "epb_flags (1 inbound, 2 outbound). Adds nothing to the pod netns: no filter, no device.\n"
                           "JSON lines go to stderr: ready, stats (ring drops included), warning, error, stopped.\n"
                           "Stops on the end of stdin or a `stop` line (when stdin is a pipe or socket: the console's\n"
                           "exec closing), SIGTERM/SIGINT, stdout closed by its reader, heartbeat lapse, deadline, or\n"
                           "when the pod's processes are gone. When stdout is slower than the traffic, the ring fills\n"
                           "and the kernel drops (counted as ring_drops); the agent never buffers without bound.\n") +
            kTargetHelp +
            "  --interface NAME      pod interface to capture (default eth0)\n"
            "  --direction D         ingress (frames the pod receives), egress (frames it sends) or both\n"
            "                        (default both)\n"
            "  --bpf PROGRAM         classic BPF in tcpdump -ddd form: count, then `code jt jf k` lines\n"
            "                        (newline or comma separated), attached as the socket filter before\n"
            "                        the socket is bound; default: capture everything\n"
            "  --snaplen N           bytes kept of each frame (default 65535; 0 or more than " +
            std::to_string(pcapng::kMaxSnaplen) +
            "\n"
            "                        means " +
            std::to_string(pcapng::kMaxSnaplen) +
            ", so every block stays under 256 KiB)\n"
            "  --if-name NAME        the pcapng interface name (if_name), e.g. ns/pod/eth0 (default: the\n"
            "                        interface name)\n"
            "  --session ID          session this stream belongs to (reported in ready)\n"
            "  --heartbeat-file F    as for mirror\n"
            "  --heartbeat-timeout S as for mirror (default 180)\n"
            "  --stats-interval S    seconds between stats events, 0 for none (default 1)\n"
            "  --deadline S          stop after S seconds\n";
    }
    if (command == "hold") {
        return "usage: podtap-agent hold [flags]\n"
               "The agent pod's process when a tap goes through the API server: it adds nothing and idles\n"
               "until SIGTERM/SIGINT, heartbeat lapse or deadline, while the console runs `stream` in the pod\n"
               "through pods/exec. Prints ready (version, contract) and stopped (reason) on stdout.\n"
               "  --session ID          session this agent pod belongs to (reported in ready)\n"
               "  --heartbeat-file F    downward-API annotations file with podtap.io/heartbeat (any value)\n"
               "  --heartbeat-timeout S stop when the heartbeat has not changed for S seconds, timed on\n"
               "                        this node's monotonic clock (default 180; a missing file counts\n"
               "                        from the agent's start)\n"
               "  --deadline S          stop after S seconds\n";
    }
    return overview();
}

int selectTarget(const FlagValues &values, AgentOptions &options)
{
    const auto has = [&values](const char *flag) { return values.count(flag) > 0; };
    int targets = 0;
    for (const auto &[flag, kind] : std::initializer_list<std::pair<const char *, TargetSelector::Kind>> {
             {"--container-id", TargetSelector::Kind::ContainerId},
             {"--pod-uid", TargetSelector::Kind::PodUid},
             {"--pid", TargetSelector::Kind::Pid},
             {"--netns", TargetSelector::Kind::Netns},
         }) {
        if (!has(flag)) {
            continue;
        }
        ++targets;
        options.target.kind = kind;
        options.target.value = values.at(flag);
        if (options.target.value.empty()) {
            throw usageError(std::string("flag ") + flag + " needs a non-empty value");
        }
    }
    return targets;
}

void validateTarget(const FlagValues &values, AgentOptions &options)
{
    if (options.target.kind == TargetSelector::Kind::ContainerId) {
        options.target.value = TargetFinder::normalizeContainerId(options.target.value);
        const std::string &id = options.target.value;
        const bool ok = !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
        });
        if (!ok) {
            throw usageError("--container-id '" + values.at("--container-id") +
                "': a container ID is letters and digits, optionally after containerd://, cri-o:// or docker://");
        }
    }
    if (options.target.kind == TargetSelector::Kind::PodUid) {
        const std::string &uid = options.target.value;
        const bool ok = uid.size() <= 64 && std::all_of(uid.begin(), uid.end(), [](char c) {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '-' || c == '_';
        });
        if (!ok) {
            throw usageError("--pod-uid '" + uid + "': a pod UID looks like 3f1c2a9e-5b7d-4c1e-9a2b-0c4d6e8f1a3b");
        }
    }
    if (options.target.kind == TargetSelector::Kind::Pid) {
        options.target.value = std::to_string(parseInteger("--pid", options.target.value, 1, 4194304, "a pid"));
    }
}

void applyVniFlag(const FlagValues &values, AgentOptions &options)
{
    options.vni = static_cast<std::uint32_t>(parseInteger("--vni", values.at("--vni"), 1, 16777215, "the VNI"));
}

void applyDeviceFlags(const FlagValues &values, const std::string &command, AgentOptions &options)
{
    const auto has = [&values](const char *flag) { return values.count(flag) > 0; };
    if (has("--interface")) {
        options.interface = values.at("--interface");
        requireInterfaceName("--interface", options.interface);
    }
    if (has("--direction")) {
        const std::string &direction = values.at("--direction");
        if (direction == "ingress") {
            options.ingress = true;
            options.egress = false;
        } else if (direction == "egress") {
            options.ingress = false;
            options.egress = true;
        } else if (direction == "both") {
            options.ingress = true;
            options.egress = true;
        } else {
            throw usageError("--direction '" + direction + "': use ingress, egress or both");
        }
    }
    options.name = command == "receive" ? "mirror" : "ptap" + std::to_string(options.vni);
    if (has("--name")) {
        options.name = values.at("--name");
        requireInterfaceName("--name", options.name);
    }
    if (has("--egress-vni")) {
        options.egressVni =
            static_cast<std::uint32_t>(parseInteger("--egress-vni", values.at("--egress-vni"), 1, 16777215, "the VNI"));
        if (options.egressVni == options.vni) {
            throw usageError("--egress-vni " + values.at("--egress-vni") + " equals --vni " +
                std::to_string(options.vni) +
                ": the egress device needs its own VNI so the receiver can tell the directions apart");
        }
        if (!options.egress) {
            throw usageError("--egress-vni with --direction ingress: nothing would use the egress device; drop "
                             "--egress-vni or use --direction both");
        }
        if (has("--egress-name")) {
            options.egressName = values.at("--egress-name");
            requireInterfaceName("--egress-name", options.egressName);
        } else if (options.name.size() >= 15) {
            throw usageError("--name " + options.name +
                " leaves no room for the default egress device name <name>e (15 bytes at most); give --egress-name");
        } else {
            options.egressName = options.name + "e";
        }
        if (options.egressName == options.name) {
            throw usageError("--egress-name " + options.egressName + " equals --name: the two devices need two names");
        }
    } else if (has("--egress-name")) {
        throw usageError(
            "--egress-name " + values.at("--egress-name") + " without --egress-vni: give --egress-vni M too");
    }
}

AgentOptions parseCommandLine(int argc, const char *const *argv)
{
    AgentOptions options;
    if (argc < 2) {
        throw usageError(
            "missing command: mirror, receive, stream, hold, cleanup or inspect (see podtap-agent --help)");
    }
    const std::string command = argv[1];
    if (command == "--version" || command == "version") {
        options.command = AgentOptions::Command::Version;
        return options;
    }
    if (command == "--help" || command == "-h" || command == "help") {
        options.command = AgentOptions::Command::Help;
        options.helpText = usageText(argc > 2 ? argv[2] : "");
        return options;
    }
    const auto valueFlags = kValueFlags.find(command);
    if (valueFlags == kValueFlags.end()) {
        throw usageError("unknown command '" + command + "': use mirror, receive, stream, hold, cleanup or inspect");
    }
    const std::set<std::string> &boolFlags = kBoolFlags.at(command);

    FlagValues values;
    std::set<std::string> switches;
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            options.command = AgentOptions::Command::Help;
            options.helpText = usageText(command);
            return options;
        }
        if (arg.rfind("--", 0) != 0) {
            throw usageError("unexpected argument '" + arg + "' for " + command +
                ": flags start with -- (see podtap-agent " + command + " --help)");
        }
        std::string value;
        bool hasInlineValue = false;
        if (const std::size_t eq = arg.find('='); eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg.resize(eq);
            hasInlineValue = true;
        }
        if (boolFlags.count(arg)) {
            if (hasInlineValue) {
                throw usageError("flag " + arg + " takes no value");
            }
            switches.insert(arg);
            continue;
        }
        if (!valueFlags->second.count(arg)) {
            throw usageError("unknown flag " + arg + " for " + command + " (see podtap-agent " + command + " --help)");
        }
        if (!hasInlineValue) {
            if (i + 1 >= argc) {
                throw usageError("flag " + arg + " needs a value");
            }
            value = argv[++i];
        }
        if (values.count(arg)) {
            throw usageError("flag " + arg + " given twice");
        }
        values[arg] = value;
    }
    const auto has = [&values](const char *flag) { return values.count(flag) > 0; };

    // Target selection.
    const bool targetsFile = has("--targets-file");
    if (targetsFile) {
        // The targets and their devices come from the file, one per line; the command line holds what they share.
        for (const char *flag :
            {"--container-id", "--pod-uid", "--pid", "--netns", "--vni", "--egress-vni", "--name", "--egress-name"}) {
            if (has(flag)) {
                throw usageError(std::string(flag) + " " + values[flag] + " with --targets-file: each target's " +
                    flag + " goes on its line of the targets file, not on the command line");
            }
        }
        options.targetsFile = values["--targets-file"];
        if (options.targetsFile.empty()) {
            throw usageError("flag --targets-file needs a non-empty value");
        }
        if (has("--targets-key")) {
            options.targetsKey = values["--targets-key"];
            if (options.targetsKey.empty() || options.targetsKey.find_first_of("=\n\r\"") != std::string::npos) {
                throw usageError("--targets-key '" + options.targetsKey +
                    "': an annotation key, e.g. podtap.io/targets (no '=', quote or line break)");
            }
        }
    } else if (has("--targets-key")) {
        throw usageError("--targets-key " + values["--targets-key"] +
            " without --targets-file: give --targets-file PATH (the annotations file) too");
    }
    const int targets = selectTarget(values, options);
    if (command != "receive" && command != "hold" && !targetsFile) {
        if (targets == 0) {
            throw usageError(command + " needs a target: one of --container-id, --pod-uid, --pid or --netns");
        }
        if (targets > 1) {
            throw usageError("give only one of --container-id, --pod-uid, --pid or --netns");
        }
    }
    validateTarget(values, options);

    if (has("--vni")) {
        applyVniFlag(values, options);
    } else if ((command == "mirror" && !targetsFile) || command == "receive") {
        throw usageError(command + " needs --vni N (1-16777215)");
    }
    if (has("--port")) {
        options.port = static_cast<std::uint16_t>(parseInteger("--port", values["--port"], 1, 65535, "the UDP port"));
    }
    if (has("--remote")) {
        options.remote = values["--remote"];
        requireIp("--remote", options.remote);
    } else if (command == "mirror") {
        throw usageError("mirror needs --remote IP: where the tunnel leads");
    }
    if (has("--local")) {
        options.local = values["--local"];
        requireIp("--local", options.local);
    }
    if (has("--underlay-dev")) {
        options.underlayDev = values["--underlay-dev"];
        requireInterfaceName("--underlay-dev", options.underlayDev);
    }
    if (has("--local") && has("--underlay-dev")) {
        throw usageError("give either --local or --underlay-dev, not both");
    }
    if (!options.remote.empty() && !options.local.empty()) {
        int remoteFamily = 0;
        int localFamily = 0;
        parseIpLiteral(options.remote, &remoteFamily);
        parseIpLiteral(options.local, &localFamily);
        if (remoteFamily != localFamily) {
            throw usageError(
                "--local " + options.local + " and --remote " + options.remote + " are of different address families");
        }
    }
    applyDeviceFlags(values, command, options);
    if (has("--bpf")) {
        BpfProgram program;
        std::string error;
        if (!BpfProgram::parse(values["--bpf"], program, error)) {
            throw usageError("--bpf " + error);
        }
        options.bpf = program;
    }
    if (has("--session")) {
        options.session = values["--session"];
        const bool ok = !options.session.empty() && options.session.size() <= 63 &&
            std::all_of(options.session.begin(), options.session.end(), [](char c) {
                return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                    c == '_' || c == '.';
            });
        if (!ok) {
            throw usageError("--session '" + options.session + "': 1-63 letters, digits, '-', '_' or '.'");
        }
    }
    if (has("--heartbeat-file")) {
        options.heartbeatFile = values["--heartbeat-file"];
    }
    if (has("--heartbeat-timeout")) {
        options.heartbeatTimeout = static_cast<int>(
            parseInteger("--heartbeat-timeout", values["--heartbeat-timeout"], 1, 86400 * 30, "the heartbeat timeout"));
    }
    if (has("--stats-interval")) {
        options.statsInterval = static_cast<int>(
            parseInteger("--stats-interval", values["--stats-interval"], 0, 86400, "the stats interval"));
    }
    if (has("--deadline")) {
        options.deadline =
            static_cast<int>(parseInteger("--deadline", values["--deadline"], 1, 86400 * 30, "the deadline"));
    }
    if (has("--proc-root")) {
        options.procRoot = values["--proc-root"];
    }
    if (has("--netns-dir")) {
        options.netnsDir = values["--netns-dir"];
    }
    options.exitWithParent = switches.count("--exit-with-parent") > 0;
    if (command == "stream") {
        if (!has("--stats-interval")) {
            options.statsInterval = 1;
        }
        if (has("--snaplen")) {
            options.snaplen = pcapng::clampSnaplen(static_cast<std::uint32_t>(
                parseInteger("--snaplen", values["--snaplen"], 0, 1000000000, "the snaplen")));
        }
        options.ifName = options.interface;
        if (has("--if-name")) {
            options.ifName = values["--if-name"];
            const bool control = std::any_of(options.ifName.begin(), options.ifName.end(),
                [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
            if (options.ifName.empty() || options.ifName.size() > kMaxIfNameBytes || control) {
                throw usageError("--if-name: a pcapng interface name is 1-" + std::to_string(kMaxIfNameBytes) +
                    " bytes without control characters, e.g. namespace/pod/eth0 (" +
                    std::to_string(options.ifName.size()) + " bytes given)");
            }
        }
    }

    if (command == "mirror") {
        options.command = AgentOptions::Command::Mirror;
    } else if (command == "receive") {
        options.command = AgentOptions::Command::Receive;
    } else if (command == "cleanup") {
        options.command = AgentOptions::Command::Cleanup;
    } else if (command == "stream") {
        options.command = AgentOptions::Command::Stream;
    } else if (command == "hold") {
        options.command = AgentOptions::Command::Hold;
    } else {
        options.command = AgentOptions::Command::Inspect;
    }
    return options;
}

} // namespace podtap::agent
