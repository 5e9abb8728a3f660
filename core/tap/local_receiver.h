// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "tap/agent_event.h"

#include <QObject>
#include <QProcess>
#include <QString>
#include <QTimer>

#include <cstdint>

namespace podtap {

/// @brief How to start the receiving end of a tap on this machine.
struct LocalReceiverOptions
{
    QString agentExecutable; ///< podtap-agent; empty: findAgentExecutable()
    QString interfaceName; ///< e.g. ptap<vni>
    std::uint32_t vni = 0;
    int port = 4789;
    QString remoteIp; ///< the sender's node: the only source the receiver accepts
    QString localIp; ///< this machine's address toward that node
    /// Run through pkexec even when this process could create the interface itself. Off by default:
    /// pkexec is used only when this process lacks CAP_NET_ADMIN.
    bool forcePkexec = false;
    /// What runs the agent as root when needed; tests put a stand-in here.
    QString pkexecProgram = QStringLiteral("pkexec");
    int readyTimeoutMs = 30000;
};

/// @brief The local VXLAN receiver: `podtap-agent receive --exit-with-parent`, directly or via pkexec.
///
/// The agent owns the interface and its nftables source filter, and removes both when it exits;
/// --exit-with-parent makes it exit when this process dies, so nothing outlives the console.
/// Started through pkexec it runs as root, where this (unprivileged) process cannot signal it: it is
/// stopped through its stdin instead (a `stop` line, then the end of stdin).
class LocalReceiver final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LocalReceiver)

public:
    explicit LocalReceiver(LocalReceiverOptions options, QObject *parent = nullptr);
    ~LocalReceiver() override;

    void start();
    /// Writes `stop` and closes the receiver's stdin (which works across the pkexec boundary); after
    /// @p graceMs SIGTERM, after another @p graceMs SIGKILL (both only reach an unelevated receiver).
    /// finished() follows.
    void stop(int graceMs = 5000);
    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    /// The command line it runs (for the UI's "copy command" and for error messages).
    QStringList commandLine() const;

    /// True when this process may create network interfaces itself (root or CAP_NET_ADMIN).
    static bool hasNetAdmin();
    /// True when this process runs from an AppImage (APPIMAGE and APPDIR set by its runtime). There the
    /// pkexec path is not taken: start() fails with the fix instead.
    static bool runsFromAppImage();

Q_SIGNALS:
    void ready(const QString &interfaceName);
    void warning(const QString &message);
    /// It could not start, or exited before it was ready, or reported an error.
    void failed(const QString &message);
    void finished();

private:
    void onStdout();
    void onFinished(int exitCode, QProcess::ExitStatus status);

    LocalReceiverOptions m_options;
    QProcess m_process;
    QTimer m_readyTimer;
    QTimer m_killTimer;
    QByteArray m_buffer;
    QByteArray m_stderrTail;
    bool m_ready = false;
    bool m_stopping = false;
    bool m_signalled = false; ///< stop() has moved on from stdin to SIGTERM
    int m_graceMs = 5000;
};

/// podtap-agent: $PODTAP_AGENT, then next to this executable, ../libexec/podtap/, the build tree,
/// then PATH. Inside an AppImage only next to this executable and in $APPDIR/usr/bin. Empty when not found.
QString findAgentExecutable();

/// The address of this machine that routes toward @p remoteIp, found by connecting a UDP socket
/// (nothing is sent). Empty with @p error filled when there is no route.
QString localAddressToward(const QString &remoteIp, QString *error);

} // namespace podtap
