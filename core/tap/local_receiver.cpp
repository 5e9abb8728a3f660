// SPDX-License-Identifier: Apache-2.0
#include "tap/local_receiver.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QHostAddress>
#include <QStandardPaths>
#include <QUdpSocket>

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace podtap {

LocalReceiver::LocalReceiver(LocalReceiverOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    if (m_options.agentExecutable.isEmpty()) {
        m_options.agentExecutable = findAgentExecutable();
    }
    m_readyTimer.setSingleShot(true);
    m_killTimer.setSingleShot(true);
    connect(&m_readyTimer, &QTimer::timeout, this, [this] {
        Q_EMIT failed(tr("The local receiver (%1) did not report ready within %2 s. %3")
                          .arg(commandLine().join(QLatin1Char(' ')))
                          .arg(m_options.readyTimeoutMs / 1000)
                          .arg(QString::fromUtf8(m_stderrTail).trimmed()));
        stop(1000);
    });
    connect(&m_killTimer, &QTimer::timeout, this, [this] {
        if (!m_signalled) {
            m_signalled = true;
            m_process.terminate();
            m_killTimer.start(m_graceMs);
            return;
        }
        m_process.kill();
    });
    connect(&m_process, &QProcess::readyReadStandardOutput, this, &LocalReceiver::onStdout);
    connect(&m_process, &QProcess::readyReadStandardError, this, [this] {
        m_stderrTail += m_process.readAllStandardError();
        if (m_stderrTail.size() > 4096) {
            m_stderrTail = m_stderrTail.right(4096);
        }
    });
    connect(&m_process, &QProcess::finished, this, &LocalReceiver::onFinished);
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart) {
            Q_EMIT failed(tr("Cannot start the local receiver %1: %2. Install podtap-agent or set PODTAP_AGENT "
                             "to its path.")
                              .arg(commandLine().value(0), m_process.errorString()));
            Q_EMIT finished();
        }
    });
}

LocalReceiver::~LocalReceiver()
{
    if (m_process.state() != QProcess::NotRunning) {
        // The end of its stdin stops it even when it runs as root through pkexec.
        m_process.closeWriteChannel();
        if (m_process.waitForFinished(3000)) {
            return;
        }
        m_process.terminate();
        if (!m_process.waitForFinished(3000)) {
            m_process.kill();
            m_process.waitForFinished(1000);
        }
    }
}

bool LocalReceiver::runsFromAppImage()
{
    // What the AppImage runtime sets for AppRun and so for everything it starts.
    return !qEnvironmentVariableIsEmpty("APPIMAGE") && !qEnvironmentVariableIsEmpty("APPDIR");
}

bool LocalReceiver::hasNetAdmin()
{
    if (::geteuid() == 0) {
        return true;
    }
    __user_cap_header_struct header {_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
    if (::syscall(SYS_capget, &header, data) != 0) {
        return false;
    }
    return (data[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32))) != 0;
}

QStringList LocalReceiver::commandLine() const
{
    QStringList command;
    if (m_options.forcePkexec || !hasNetAdmin()) {
        command << m_options.pkexecProgram;
    }
    command << m_options.agentExecutable << QStringLiteral("receive") << QStringLiteral("--vni")
            << QString::number(m_options.vni) << QStringLiteral("--port") << QString::number(m_options.port)
            << QStringLiteral("--name") << m_options.interfaceName << QStringLiteral("--exit-with-parent");
    if (!m_options.remoteIp.isEmpty()) {
        command << QStringLiteral("--remote") << m_options.remoteIp;
    }
    if (!m_options.localIp.isEmpty()) {
        command << QStringLiteral("--local") << m_options.localIp;
    }
    return command;
}

void LocalReceiver::start()
{
    if (m_options.agentExecutable.isEmpty()) {
        Q_EMIT failed(tr("podtap-agent was not found, so no local receiver can be created. Install podtap, or set "
                         "PODTAP_AGENT to the agent's path."));
        Q_EMIT finished();
        return;
    }
    if ((m_options.forcePkexec || !hasNetAdmin()) && runsFromAppImage()) {
        // pkexec runs the agent as root, and root may not read the FUSE mount the AppImage runs from (FUSE
        // lets only the mounting user in); polkit's policy names an installed agent anyway.
        Q_EMIT failed(tr("Cannot create the receiving interface %1 on this machine: it needs root, which podtap "
                         "gets through pkexec, and pkexec cannot run podtap-agent from the AppImage (its FUSE "
                         "mount %2 is readable only by your user, and polkit's policy for the agent is not "
                         "installed). Choose the destination \"This machine\", which receives in userspace "
                         "without root, or install podtap's .deb package to receive through a kernel interface.")
                          .arg(m_options.interfaceName, qEnvironmentVariable("APPDIR")));
        Q_EMIT finished();
        return;
    }
    const QStringList command = commandLine();
    m_process.setProgram(command.first());
    m_process.setArguments(command.mid(1));
    m_readyTimer.start(m_options.readyTimeoutMs);
    // stdin stays open: closing it (or a `stop` line) is how a receiver running as root is stopped.
    m_process.start(QIODevice::ReadWrite);
}

void LocalReceiver::stop(int graceMs)
{
    m_readyTimer.stop();
    if (m_process.state() == QProcess::NotRunning) {
        return;
    }
    if (m_stopping) {
        return;
    }
    m_stopping = true;
    m_graceMs = graceMs;
    // A receiver started through pkexec runs as root and cannot be signalled from here.
    m_process.write("stop\n");
    m_process.closeWriteChannel();
    m_killTimer.start(graceMs);
}

void LocalReceiver::onStdout()
{
    m_buffer += m_process.readAllStandardOutput();
    qsizetype newline;
    while ((newline = m_buffer.indexOf('\n')) >= 0) {
        const QByteArray line = m_buffer.left(newline);
        m_buffer.remove(0, newline + 1);
        const auto event = parseAgentEvent(line);
        if (!event) {
            continue;
        }
        switch (event->type) {
        case AgentEvent::Type::Ready:
            m_ready = true;
            m_readyTimer.stop();
            Q_EMIT ready(m_options.interfaceName);
            break;
        case AgentEvent::Type::Warning:
            Q_EMIT warning(event->message);
            break;
        case AgentEvent::Type::Error:
            Q_EMIT failed(tr("The local receiver failed: %1").arg(event->message));
            break;
        default:
            break;
        }
    }
}

void LocalReceiver::onFinished(int exitCode, QProcess::ExitStatus status)
{
    m_readyTimer.stop();
    m_killTimer.stop();
    if (!m_stopping && !m_ready) {
        QString reason = QString::fromUtf8(m_stderrTail).trimmed();
        if (exitCode == 126 || exitCode == 127) {
            reason = tr("pkexec refused or could not run the agent (exit %1). Install podtap's polkit policy "
                        "(io.podtap.receive) or run podtap with CAP_NET_ADMIN.")
                         .arg(exitCode);
        }
        Q_EMIT failed(
            tr("The local receiver exited before it was ready (%1): %2")
                .arg(status == QProcess::CrashExit ? tr("crashed") : tr("exit code %1").arg(exitCode), reason));
    }
    Q_EMIT finished();
}

QString findAgentExecutable()
{
    const QString fromEnv = qEnvironmentVariable("PODTAP_AGENT");
    if (!fromEnv.isEmpty()) {
        return QFileInfo(fromEnv).isExecutable() ? fromEnv : QString();
    }
    const QDir appDir(QCoreApplication::applicationDirPath());
    if (LocalReceiver::runsFromAppImage()) {
        // Only the agent the AppImage ships: one from the host (PATH, /usr/libexec) may be another version.
        for (const QString &candidate : {appDir.filePath(QStringLiteral("podtap-agent")),
                 QDir(qEnvironmentVariable("APPDIR")).filePath(QStringLiteral("usr/bin/podtap-agent"))}) {
            if (QFileInfo(candidate).isExecutable()) {
                return QFileInfo(candidate).canonicalFilePath();
            }
        }
        return {};
    }
    const QStringList candidates {
        appDir.filePath(QStringLiteral("podtap-agent")),
        appDir.filePath(QStringLiteral("../libexec/podtap/podtap-agent")),
        appDir.filePath(QStringLiteral("../../netlink-agent/podtap-agent")), // build tree: app/{cli,gui}/
        appDir.filePath(QStringLiteral("../netlink-agent/podtap-agent")),
    };
    for (const QString &candidate : candidates) {
        if (QFileInfo(candidate).isExecutable()) {
            return QFileInfo(candidate).canonicalFilePath();
        }
    }
    return QStandardPaths::findExecutable(QStringLiteral("podtap-agent"));
}

QString localAddressToward(const QString &remoteIp, QString *error)
{
    const QHostAddress remote(remoteIp);
    if (remote.isNull()) {
        if (error) {
            *error = QStringLiteral("'%1' is not an IP address").arg(remoteIp);
        }
        return {};
    }
    QUdpSocket socket;
    socket.connectToHost(remote, 4789);
    if (!socket.waitForConnected(2000) || socket.localAddress().isNull()) {
        if (error) {
            *error = QStringLiteral("this machine has no route to %1 (%2); choose a node or an IP destination "
                                    "instead of this machine")
                         .arg(remoteIp, socket.errorString());
        }
        return {};
    }
    return socket.localAddress().toString();
}

} // namespace podtap
