// SPDX-License-Identifier: Apache-2.0
// udp_blast: sends small UDP datagrams at a fixed rate, in batches (sendmmsg), for the capture
// fidelity benchmark, where iperf3 tops out far below 100k packets per second on this machine.
//
//   udp_blast --to IPV4 --port N --pps N --seconds S [--size BYTES]
//
// Prints `sent <n>` when done: the datagrams the kernel accepted.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void usage(const char *message)
{
    std::fprintf(
        stderr, "udp_blast: %s\nusage: udp_blast --to IPV4 --port N --pps N --seconds S [--size BYTES]\n", message);
    std::exit(2);
}

std::int64_t nowNs()
{
    timespec ts = {};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

} // namespace

int main(int argc, char **argv)
{
    std::string to;
    long port = 0;
    long pps = 0;
    double seconds = 0;
    long size = 64;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        const char *value = argv[i + 1];
        if (flag == "--to") {
            to = value;
        } else if (flag == "--port") {
            port = std::strtol(value, nullptr, 10);
        } else if (flag == "--pps") {
            pps = std::strtol(value, nullptr, 10);
        } else if (flag == "--seconds") {
            seconds = std::strtod(value, nullptr);
        } else if (flag == "--size") {
            size = std::strtol(value, nullptr, 10);
        } else {
            usage("unknown flag");
        }
    }
    sockaddr_in target = {};
    target.sin_family = AF_INET;
    if (::inet_pton(AF_INET, to.c_str(), &target.sin_addr) != 1 || port < 1 || port > 65535 || pps < 1 ||
        seconds <= 0 || size < 1 || size > 65507) {
        usage("--to must be IPv4, --port 1-65535, --pps and --seconds positive, --size 1-65507");
    }
    target.sin_port = htons(std::uint16_t(port));
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&target), sizeof target) != 0) {
        std::perror("udp_blast: socket");
        return 1;
    }
    const int sndbuf = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

    // Batches of up to 32 every 1/(pps/32) s keep the rate even without a syscall per packet.
    constexpr unsigned kBatch = 32;
    std::vector<char> payload(std::size_t(size), 'p');
    iovec iov = {payload.data(), payload.size()};
    std::vector<mmsghdr> messages(kBatch);
    for (mmsghdr &message : messages) {
        message.msg_hdr.msg_iov = &iov;
        message.msg_hdr.msg_iovlen = 1;
    }
    const std::int64_t total = std::int64_t(double(pps) * seconds);
    const std::int64_t start = nowNs();
    std::int64_t sent = 0;
    while (sent < total) {
        // Where the schedule says we should be; sleep until the next batch is due.
        const std::int64_t due = start + std::int64_t(double(sent) * 1e9 / double(pps));
        const std::int64_t now = nowNs();
        if (due > now + 20000) {
            const timespec pause = {0, long(due - now)};
            ::nanosleep(&pause, nullptr);
        }
        const unsigned count = unsigned(std::min<std::int64_t>(kBatch, total - sent));
        const int done = ::sendmmsg(fd, messages.data(), count, 0);
        if (done > 0) {
            sent += done;
        } else if (nowNs() - start > std::int64_t(seconds * 4e9)) {
            break; // the kernel keeps refusing; report what went out
        }
    }
    const double elapsed = double(nowNs() - start) / 1e9;
    std::printf("sent %lld in %.3f s (%.0f pps)\n", static_cast<long long>(sent), elapsed, double(sent) / elapsed);
    ::close(fd);
    return 0;
}
