// SPDX-License-Identifier: Apache-2.0
// podtap-sim-pod: the processes kube-sim's rig runs as pod containers.
//
//   podtap-sim-pod enter [--netns PATH] [--cgroup DIR]... [--root DIR [--bind SRC:DST[:ro]]... [--proc] [--sys]]
//                        [--pdeathsig SIGNAL] -- PROGRAM [ARG]...
//       Joins the cgroups and the network namespace, builds a private mount namespace with the given
//       bind mounts under DIR, changes root to it and runs PROGRAM: what a container runtime does for
//       a container, reduced to what podtap's agent and the traffic pods need.
//   podtap-sim-pod exec --target PID [--cgroup DIR]... [--pdeathsig SIGNAL] [--status-fd FD] -- PROGRAM [ARG]...
//       Runs PROGRAM as a container runtime's exec does: in the cgroups, the network and mount
//       namespaces, the root, the working directory and the environment of the process PID (a
//       container's main process). PROGRAM without a '/' is looked up in that environment's PATH.
//       When PROGRAM cannot be started, the reason goes to FD (close-on-exec otherwise) and the exit
//       code is 127.
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

#include <algorithm>
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
        "       podtap-sim-pod exec --target PID [--cgroup DIR]... [--pdeathsig N] [--status-fd FD] -- PROGRAM "
        "[ARG]...\n"
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

/// A container's process starts with default signal dispositions and nothing blocked, whatever the
/// rig ignored or blocked (the sim ignores SIGPIPE, and ignored dispositions survive execve).
void resetSignals()
{
    for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) {
        ::signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
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
    resetSignals();
    ::execv(argv[i], argv + i);
    die(std::string("run ") + argv[i]);
}

/// Reports why the exec failed on the status descriptor (and stderr), then exits 127.
[[noreturn]] void execFailed(int statusFd, const std::string &why)
{
    if (statusFd >= 0) {
        [[maybe_unused]] const ssize_t written = ::write(statusFd, why.data(), why.size());
    }
    std::fprintf(stderr, "podtap-sim-pod: %s\n", why.c_str());
    std::_Exit(127);
}

std::vector<std::string> readEnviron(pid_t pid)
{
    std::vector<std::string> env;
    const int fd = ::open(("/proc/" + std::to_string(pid) + "/environ").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return env;
    }
    std::string all;
    char buffer[4096];
    ssize_t got = 0;
    while ((got = ::read(fd, buffer, sizeof buffer)) > 0) {
        all.append(buffer, std::size_t(got));
    }
    ::close(fd);
    std::size_t start = 0;
    while (start < all.size()) {
        const std::size_t end = all.find('\0', start);
        env.push_back(all.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) {
            break;
        }
        start = end + 1;
    }
    return env;
}

int execIn(int argc, char **argv)
{
    pid_t target = 0;
    std::vector<std::string> cgroups;
    int deathSignal = 0;
    int statusFd = -1;
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
        if (arg == "--target") {
            target = pid_t(std::atoi(value("--target").c_str()));
        } else if (arg == "--cgroup") {
            cgroups.push_back(value("--cgroup"));
        } else if (arg == "--pdeathsig") {
            deathSignal = std::atoi(value("--pdeathsig").c_str());
        } else if (arg == "--status-fd") {
            statusFd = std::atoi(value("--status-fd").c_str());
        } else {
            usage("unknown flag " + arg);
        }
    }
    if (i >= argc || target <= 0) {
        usage("exec: needs --target PID and a program after --");
    }
    if (statusFd >= 0) {
        ::fcntl(statusFd, F_SETFD, FD_CLOEXEC); // closed by a successful execve: nothing to report
    }
    if (deathSignal > 0) {
        const pid_t parent = ::getppid();
        if (::prctl(PR_SET_PDEATHSIG, deathSignal) != 0) {
            execFailed(statusFd, std::string("set the parent-death signal: ") + std::strerror(errno));
        }
        if (::getppid() != parent || parent == 1) {
            return 0; // the rig is already gone
        }
    }
    const std::string proc = "/proc/" + std::to_string(target);
    // Everything of the target is opened before entering anything: the paths are the rig's.
    const int netFd = ::open((proc + "/ns/net").c_str(), O_RDONLY | O_CLOEXEC);
    const int mntFd = ::open((proc + "/ns/mnt").c_str(), O_RDONLY | O_CLOEXEC);
    const int rootFd = ::open((proc + "/root").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    const int cwdFd = ::open((proc + "/cwd").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (netFd < 0 || mntFd < 0 || rootFd < 0 || cwdFd < 0) {
        execFailed(statusFd, "container process " + std::to_string(target) + " is gone: " + std::strerror(errno));
    }
    std::vector<std::string> env = readEnviron(target);
    for (const std::string &cgroup : cgroups) {
        const int fd = ::open((cgroup + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0 || ::write(fd, "0\n", 2) != 2) {
            execFailed(statusFd, "join the cgroup " + cgroup + ": " + std::strerror(errno));
        }
        ::close(fd);
    }
    if (::setns(netFd, CLONE_NEWNET) != 0) {
        execFailed(statusFd, std::string("enter the network namespace: ") + std::strerror(errno));
    }
    struct stat mine = {};
    struct stat theirs = {};
    if (::stat("/proc/self/ns/mnt", &mine) != 0 || ::fstat(mntFd, &theirs) != 0) {
        execFailed(statusFd, std::string("compare mount namespaces: ") + std::strerror(errno));
    }
    if (mine.st_ino != theirs.st_ino && ::setns(mntFd, CLONE_NEWNS) != 0) {
        execFailed(statusFd, std::string("enter the mount namespace: ") + std::strerror(errno));
    }
    // The container changed its root inside its mount namespace: change to the same one.
    if (::fchdir(rootFd) != 0 || ::chroot(".") != 0) {
        execFailed(statusFd, std::string("change root: ") + std::strerror(errno));
    }
    if (::fchdir(cwdFd) != 0 && ::chdir("/") != 0) {
        execFailed(statusFd, std::string("change directory: ") + std::strerror(errno));
    }
    std::string program = argv[i];
    if (program.find('/') == std::string::npos) {
        // As runc: the executable is looked up in the container's PATH.
        std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (const std::string &entry : env) {
            if (entry.rfind("PATH=", 0) == 0) {
                path = entry.substr(5);
            }
        }
        std::string found;
        std::size_t start = 0;
        while (found.empty() && start <= path.size()) {
            const std::size_t end = std::min(path.find(':', start), path.size());
            const std::string dir = path.substr(start, end - start);
            const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
            if (::access(candidate.c_str(), X_OK) == 0) {
                found = candidate;
            }
            start = end + 1;
        }
        if (found.empty()) {
            execFailed(statusFd, "exec: \"" + program + "\": executable file not found in $PATH");
        }
        program = found;
    }
    std::vector<char *> envp;
    for (std::string &entry : env) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);
    resetSignals();
    ::execve(program.c_str(), argv + i, envp.data());
    execFailed(statusFd, "exec: \"" + program + "\": " + std::strerror(errno));
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
    if (mode == "exec") {
        return execIn(argc, argv);
    }
    if (mode == "traffic") {
        return traffic(argc, argv);
    }
    if (mode == "idle") {
        return idle();
    }
    usage("unknown mode " + mode);
}
