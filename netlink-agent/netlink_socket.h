// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include <functional>
#include <memory>
#include <string>

namespace podtap::agent {

struct NlSockDeleter
{
    void operator()(nl_sock *sock) const { nl_socket_free(sock); }
};
struct NlMsgDeleter
{
    void operator()(nl_msg *msg) const { nlmsg_free(msg); }
};
struct RtnlLinkDeleter
{
    void operator()(rtnl_link *link) const { rtnl_link_put(link); }
};
struct NlCacheDeleter
{
    void operator()(nl_cache *cache) const { nl_cache_free(cache); }
};
using NlSockPtr = std::unique_ptr<nl_sock, NlSockDeleter>;
using NlMsgPtr = std::unique_ptr<nl_msg, NlMsgDeleter>;
using RtnlLinkPtr = std::unique_ptr<rtnl_link, RtnlLinkDeleter>;
using NlCachePtr = std::unique_ptr<nl_cache, NlCacheDeleter>;

/// @brief Owns a file descriptor.
class UniqueFd
{
public:
    UniqueFd() = default;
    explicit UniqueFd(int fd)
        : m_fd(fd)
    {
    }
    UniqueFd(UniqueFd &&other) noexcept
        : m_fd(other.release())
    {
    }
    UniqueFd &operator=(UniqueFd &&other) noexcept;
    UniqueFd(const UniqueFd &) = delete;
    UniqueFd &operator=(const UniqueFd &) = delete;
    ~UniqueFd();

    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    int release()
    {
        const int fd = m_fd;
        m_fd = -1;
        return fd;
    }

private:
    int m_fd = -1;
};

/// @brief What the kernel answered to one request: 0 or a negative errno, plus its extended-ack text.
struct KernelReply
{
    int error = 0;
    std::string extack;

    bool ok() const { return error == 0; }
    /// "File exists" or "Invalid argument (kernel: <extack>)".
    std::string reason() const;
};

/// @brief A NETLINK_ROUTE socket bound to one network namespace.
class NetlinkSocket
{
public:
    /// Opens a socket in the namespace of @p netnsFd (-1: the agent's own). Throws AgentError (4).
    static NetlinkSocket open(int netnsFd, const std::string &netnsName);

    /// Sends @p msg (NLM_F_ACK is added) and waits for the acknowledgement.
    KernelReply request(NlMsgPtr msg);
    /// Sends a dump request and calls @p onMessage for each answer.
    KernelReply dump(NlMsgPtr msg, const std::function<void(nlmsghdr *)> &onMessage);

    nl_sock *get() const { return m_sock.get(); }
    const std::string &netnsName() const { return m_netnsName; }

private:
    KernelReply exchange(NlMsgPtr msg, const std::function<void(nlmsghdr *)> *onMessage);

    NlSockPtr m_sock;
    std::string m_netnsName;
};

/// Allocates a message or throws.
NlMsgPtr newMessage(int type, int flags);

} // namespace podtap::agent
