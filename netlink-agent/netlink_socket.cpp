// SPDX-License-Identifier: Apache-2.0
#include "netlink_socket.h"

#include "agent_error.h"

#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/handlers.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>

namespace podtap::agent {

UniqueFd &UniqueFd::operator=(UniqueFd &&other) noexcept
{
    if (this != &other) {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
        m_fd = other.release();
    }
    return *this;
}

UniqueFd::~UniqueFd()
{
    if (m_fd >= 0) {
        ::close(m_fd);
    }
}

std::string KernelReply::reason() const
{
    std::string text = std::strerror(-error);
    if (!extack.empty()) {
        text += " (kernel: " + extack + ")";
    }
    return text;
}

NlMsgPtr newMessage(int type, int flags)
{
    NlMsgPtr msg(nlmsg_alloc_simple(type, flags));
    if (!msg) {
        throw AgentError(ExitFailure, "cannot allocate a netlink message: out of memory");
    }
    return msg;
}

NetlinkSocket NetlinkSocket::open(int netnsFd, const std::string &netnsName)
{
    NetlinkSocket result;
    result.m_netnsName = netnsName;
    result.m_sock.reset(nl_socket_alloc());
    if (!result.m_sock) {
        throw AgentError(ExitFailure, "cannot allocate a netlink socket: out of memory");
    }
    // A socket belongs to the namespace it was created in, so enter the target namespace just for the
    // socket() call and come straight back: the agent itself (and its VXLAN sockets) stays in the node's.
    UniqueFd home;
    if (netnsFd >= 0) {
        home = UniqueFd(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
        if (!home.valid()) {
            throw AgentError(ExitKernelRefused,
                std::string("open /proc/self/ns/net to remember the agent's netns: ") + std::strerror(errno));
        }
        if (::setns(netnsFd, CLONE_NEWNET) != 0) {
            throw AgentError(ExitKernelRefused,
                "enter netns " + netnsName + ": " + std::strerror(errno) + " (the agent needs CAP_SYS_ADMIN)");
        }
    }
    const int rc = nl_connect(result.m_sock.get(), NETLINK_ROUTE);
    const int savedErrno = errno;
    if (home.valid() && ::setns(home.get(), CLONE_NEWNET) != 0) {
        throw AgentError(ExitKernelRefused, std::string("return to the agent's netns: ") + std::strerror(errno));
    }
    if (rc < 0) {
        throw AgentError(ExitKernelRefused,
            "open netlink socket in netns " + netnsName + ": " + nl_geterror(rc) + " (" + std::strerror(savedErrno) +
                ")");
    }
    const int one = 1;
    ::setsockopt(nl_socket_get_fd(result.m_sock.get()), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    nl_socket_set_buffer_size(result.m_sock.get(), 1 << 20, 1 << 20);
    return result;
}

namespace {

struct ExchangeState
{
    KernelReply reply;
    const std::function<void(nlmsghdr *)> *onMessage = nullptr;
};

std::string extackMessage(const nlmsgerr *err)
{
    const auto *hdr = reinterpret_cast<const nlmsghdr *>(reinterpret_cast<const char *>(err) - NLMSG_HDRLEN);
    if (!(hdr->nlmsg_flags & NLM_F_ACK_TLVS)) {
        return {};
    }
    std::size_t offset = NLMSG_HDRLEN + sizeof(int);
    offset += (hdr->nlmsg_flags & NLM_F_CAPPED) ? sizeof(nlmsghdr) : NLMSG_ALIGN(err->msg.nlmsg_len);
    if (offset >= hdr->nlmsg_len) {
        return {};
    }
    auto *attrs = reinterpret_cast<nlattr *>(const_cast<char *>(reinterpret_cast<const char *>(hdr)) + offset);
    nlattr *tb[NLMSGERR_ATTR_MAX + 1] = {};
    if (nla_parse(tb, NLMSGERR_ATTR_MAX, attrs, static_cast<int>(hdr->nlmsg_len - offset), nullptr) < 0) {
        return {};
    }
    if (!tb[NLMSGERR_ATTR_MSG]) {
        return {};
    }
    std::string text(static_cast<const char *>(nla_data(tb[NLMSGERR_ATTR_MSG])),
        static_cast<std::size_t>(nla_len(tb[NLMSGERR_ATTR_MSG])));
    while (!text.empty() && text.back() == '\0') {
        text.pop_back();
    }
    return text;
}

int onError(sockaddr_nl *, nlmsgerr *err, void *arg)
{
    auto *state = static_cast<ExchangeState *>(arg);
    state->reply.error = err->error < 0 ? err->error : -err->error;
    state->reply.extack = extackMessage(err);
    return NL_STOP;
}

int onAck(nl_msg *, void *)
{
    return NL_STOP;
}

int onValid(nl_msg *msg, void *arg)
{
    auto *state = static_cast<ExchangeState *>(arg);
    if (state->onMessage) {
        (*state->onMessage)(nlmsg_hdr(msg));
    }
    return NL_OK;
}

struct NlCbDeleter
{
    void operator()(nl_cb *cb) const { nl_cb_put(cb); }
};

} // namespace

KernelReply NetlinkSocket::exchange(NlMsgPtr msg, const std::function<void(nlmsghdr *)> *onMessage)
{
    ExchangeState state;
    state.onMessage = onMessage;
    std::unique_ptr<nl_cb, NlCbDeleter> cb(nl_cb_alloc(NL_CB_DEFAULT));
    if (!cb) {
        throw AgentError(ExitFailure, "cannot allocate netlink callbacks: out of memory");
    }
    nl_cb_err(cb.get(), NL_CB_CUSTOM, onError, &state);
    nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, onAck, &state);
    nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, onValid, &state);
    const int sent = nl_send_auto(m_sock.get(), msg.get());
    if (sent < 0) {
        state.reply.error = -EIO;
        state.reply.extack = std::string("send failed: ") + nl_geterror(sent);
        return state.reply;
    }
    const int rc = nl_recvmsgs(m_sock.get(), cb.get());
    if (rc < 0 && state.reply.error == 0) {
        state.reply.error = -EIO;
        state.reply.extack = std::string("receive failed: ") + nl_geterror(rc);
    }
    return state.reply;
}

KernelReply NetlinkSocket::request(NlMsgPtr msg)
{
    return exchange(std::move(msg), nullptr);
}

KernelReply NetlinkSocket::dump(NlMsgPtr msg, const std::function<void(nlmsghdr *)> &onMessage)
{
    return exchange(std::move(msg), &onMessage);
}

} // namespace podtap::agent
