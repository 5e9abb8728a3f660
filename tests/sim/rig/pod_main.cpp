// SPDX-License-Identifier: Apache-2.0
// podtap-sim-pod: the processes kube-sim's rig runs as pod containers.
//
//   podtap-sim-pod enter [--netns PATH] [--cgroup DIR]... [--root DIR [--bind SRC:DST[:ro]]... [--proc] [--sys]]
//                        [--pdeathsig SIGNAL] -- PROGRAM [ARG]...
//       Joins the cgroups and the network namespace, builds a private mount namespace with the given
//       bind mounts under DIR, changes root to it and runs PROGRAM: what a container runtime does for
//       a container, reduced to what podtap's agent and the traffic pods need.
//   podtap-sim-pod traffic --name NS/POD --peer IPV4 [--port N] [--interval-ms MS]
//       Sends a small UDP datagram to PEER:PORT every MS and answers every greeting it receives, so
//       a tapped pod has traffic in both directions.
//   podtap-sim-pod idle
//       Waits for a signal (a sidecar container).
//
// Plain C++ without Qt: the rig starts one of these per container and it must start fast.

#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

volatile std::sig_atomic_t g_stop = 0;

void onSignal(int)
{
    g_stop = 1;
}

[[noreturn]] void die(const std::string &what)
{
    std::fprintf(stderr, "podtap-sim-pod: %s: %s\n", what.c_str(), std::strerror(errno));
    std::exit(127);
}

[[noreturn]] void usage(const std::string &message)
{
    std::fprintf(stderr,
        "podtap-sim-pod: %s\n"
        "usage: podtap-sim-pod enter [--netns PATH] [--cgroup DIR]... [--root DIR [--bind SRC:DST[:ro]]... [--proc] "
        "[--sys]] [--pdeathsig N] -- PROGRAM [ARG]...\n"
        "       podtap-sim-pod traffic --name NS/POD --peer IPV4 [--port N] [--interval-ms MS]\n"
        "       podtap-sim-pod idle\n",
        message.c_str());
    std::exit(2);
}

struct Bind
{
    std::string source;
    std::string target;
    bool readOnly = false;
};

void writeFile(const std::string &path, const std::string &text)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0 || ::write(fd, text.data(), text.size()) != ssize_t(text.size())) {
        die("write " + path);
    }
    ::close(fd);
}

void installStopHandlers()
{
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGTERM, &action, nullptr);
    ::sigaction(SIGINT, &action, nullptr);
}

int enter(int argc, char **argv)
{
    std::string netns;
    std::string root;
    std::vector<std::string> cgroups;
    std::vector<Bind> binds;
    bool proc = false;
    bool sys = false;
    int deathSignal = 0;
    int i = 2;
    const auto value = [&](const char *flag) -> std::string {
        if (i + 1 >= argc) {
            usage(std::string(flag) + " needs a value");
        }
        return argv[++i];
    };
    for (; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--") {
            ++i;
            break;
        }
        if (arg == "--netns") {
            netns = value("--netns");
        } else if (arg == "--cgroup") {
            cgroups.push_back(value("--cgroup"));
        } else if (arg == "--root") {
            root = value("--root");
        } else if (arg == "--bind") {
            const std::string spec = value("--bind");
            Bind bind;
            const std::size_t colon = spec.find(':');
            if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) {
                usage("--bind " + spec + ": expected SRC:DST[:ro]");
            }
            bind.source = spec.substr(0, colon);
            bind.target = spec.substr(colon + 1);
            if (bind.target.size() > 3 && bind.target.compare(bind.target.size() - 3, 3, ":ro") == 0) {
                bind.readOnly = true;
                bind.target.resize(bind.target.size() - 3);
            }
            binds.push_back(bind);
        } else if (arg == "--proc") {
            proc = true;
        } else if (arg == "--sys") {
            sys = true;
        } else if (arg == "--pdeathsig") {
            deathSignal = std::atoi(value("--pdeathsig").c_str());
        } else {
            usage("unknown flag " + arg);
        }
    }
    if (i >= argc) {
        usage("enter: no program after --");
    }
    if (root.empty() && (!binds.empty() || proc || sys)) {
        usage("--bind, --proc and --sys need --root");
    }

    if (deathSignal > 0) {
        const pid_t parent = ::getppid();
        if (::prctl(PR_SET_PDEATHSIG, deathSignal) != 0) {
            die("set the parent-death signal");
        }
        if (::getppid() != parent || parent == 1) {
            return 0; // the rig is already gone
        }
    }
    for (const std::string &cgroup : cgroups) {
        writeFile(cgroup + "/cgroup.procs", "0\n");
    }
    if (!netns.empty()) {
        const int fd = ::open(netns.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            die("open the network namespace " + netns);
        }
        if (::setns(fd, CLONE_NEWNET) != 0) {
            die("enter the network namespace " + netns);
        }
        ::close(fd);
    }
    if (!root.empty()) {
        if (::unshare(CLONE_NEWNS) != 0) {
            die("create a mount namespace");
        }
        // Slave, not private: network namespaces named later on the host still appear inside.
        if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
            die("make / a slave mount");
        }
        for (const Bind &bind : binds) {
            const std::string target = root + bind.target;
            if (::mount(bind.source.c_str(), target.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
                die("bind " + bind.source + " on " + target);
            }
            if (bind.readOnly &&
                ::mount(nullptr, target.c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
                die("make " + target + " read-only");
            }
        }
        if (proc && ::mount("proc", (root + "/proc").c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
            die("mount proc in " + root);
        }
        if (sys &&
            ::mount("sysfs", (root + "/sys").c_str(), "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, nullptr) !=
                0) {
            die("mount sysfs in " + root);
        }
        if (::chroot(root.c_str()) != 0 || ::chdir("/") != 0) {
            die("change root to " + root);
        }
    }
    ::execv(argv[i], argv + i);
    die(std::string("run ") + argv[i]);
}

int traffic(int argc, char **argv)
{
    std::string name;
    std::string peer;
    int port = 9999;
    int intervalMs = 200;
    for (int i = 2; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc) {
            usage(arg + " needs a value");
        }
        const std::string value = argv[++i];
        if (arg == "--name") {
            name = value;
        } else if (arg == "--peer") {
            peer = value;
        } else if (arg == "--port") {
            port = std::atoi(value.c_str());
        } else if (arg == "--interval-ms") {
            intervalMs = std::atoi(value.c_str());
        } else {
            usage("unknown flag " + arg);
        }
    }
    sockaddr_in to = {};
    to.sin_family = AF_INET;
    to.sin_port = htons(std::uint16_t(port));
    if (peer.empty() || ::inet_pton(AF_INET, peer.c_str(), &to.sin_addr) != 1) {
        usage("--peer " + peer + ": expected an IPv4 address");
    }
    if (port < 1 || port > 65535 || intervalMs < 10) {
        usage("--port must be 1-65535 and --interval-ms at least 10");
    }
    installStopHandlers();
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in local = {};
    local.sin_family = AF_INET;
    local.sin_port = to.sin_port;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr *>(&local), sizeof local) != 0) {
        die("bind UDP port " + std::to_string(port));
    }
    std::printf("traffic from %s to %s port %d every %d ms\n", name.c_str(), peer.c_str(), port, intervalMs);
    std::fflush(stdout);
    unsigned long sequence = 0;
    while (g_stop == 0) {
        const std::string hello = "podtap-sim hello from " + name + " seq " + std::to_string(++sequence);
        // Errors (no route yet, peer not up) are expected while the rig starts; keep going.
        ::sendto(fd, hello.data(), hello.size(), 0, reinterpret_cast<sockaddr *>(&to), sizeof to);
        pollfd waiting = {fd, POLLIN, 0};
        int left = intervalMs;
        while (g_stop == 0 && left > 0) {
            const int ready = ::poll(&waiting, 1, left);
            left -= intervalMs / 4 + 1; // a bounded number of rounds, even under a flood
            if (ready <= 0) {
                continue;
            }
            char buffer[512];
            sockaddr_in from = {};
            socklen_t fromLength = sizeof from;
            const ssize_t got =
                ::recvfrom(fd, buffer, sizeof buffer, MSG_DONTWAIT, reinterpret_cast<sockaddr *>(&from), &fromLength);
            static const char greeting[] = "podtap-sim hello";
            if (got >= ssize_t(sizeof greeting - 1) && std::memcmp(buffer, greeting, sizeof greeting - 1) == 0) {
                const std::string echo = "podtap-sim echo from " + name;
                ::sendto(fd, echo.data(), echo.size(), 0, reinterpret_cast<sockaddr *>(&from), fromLength);
            }
        }
    }
    std::printf("traffic from %s stopped after %lu datagrams\n", name.c_str(), sequence);
    return 0;
}

int idle()
{
    installStopHandlers();
    while (g_stop == 0) {
        ::pause();
    }
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage("missing mode");
    }
    const std::string mode = argv[1];
    if (mode == "enter") {
        return enter(argc, argv);
    }
    if (mode == "traffic") {
        return traffic(argc, argv);
    }
    if (mode == "idle") {
        return idle();
    }
    usage("unknown mode " + mode);
}
