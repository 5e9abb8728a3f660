// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "common/process.h"
#include "kube/cluster_connection.h"
#include "kube/kube_client.h"

#include <QDeadlineTimer>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

namespace podtap::test {

/// @brief A running podtap-sim for one test: started with the given flags, stopped (and waited
/// for) on destruction, its kubeconfig loaded through the real loader.
class SimFixture final
{
public:
    explicit SimFixture(QStringList args)
    {
        m_kubeconfig = m_dir.filePath(QStringLiteral("kubeconfig"));
        args << QStringLiteral("--listen") << QStringLiteral("127.0.0.1:0") << QStringLiteral("--kubeconfig-out")
             << m_kubeconfig;
        m_process.setProgram(builtExecutable(QStringLiteral("tests/sim/podtap-sim")));
        m_process.setArguments(args);
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_process.start();
        QDeadlineTimer deadline(60000);
        while (!deadline.hasExpired() && m_process.state() != QProcess::NotRunning) {
            if (m_process.canReadLine()) {
                const QByteArray line = m_process.readLine().trimmed();
                if (line.startsWith("ready ")) {
                    m_url = QString::fromUtf8(line.mid(6));
                    break;
                }
                continue;
            }
            m_process.waitForReadyRead(200);
        }
    }

    ~SimFixture()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.terminate();
            if (!m_process.waitForFinished(10000)) {
                m_process.kill();
                m_process.waitForFinished(5000);
            }
        }
    }

    bool isReady() const { return !m_url.isEmpty(); }
    const QString &url() const { return m_url; }
    const QString &kubeconfig() const { return m_kubeconfig; }
    QString dir() const { return m_dir.path(); }

    /// A client for the sim's kubeconfig through the real loader (kubectl's rules).
    std::unique_ptr<kube::KubeClient> client(QString *error = nullptr) const
    {
        kube::ClusterConnection connection = kube::connectToCluster(m_kubeconfig, QString());
        if (error) {
            *error = connection.error;
        }
        return std::move(connection.client);
    }

    kube::RestConfig restConfig() const
    {
        kube::ClusterConnection connection = kube::connectToCluster(m_kubeconfig, QString());
        return connection.client ? connection.client->config() : kube::RestConfig {};
    }

private:
    QTemporaryDir m_dir;
    QString m_kubeconfig;
    QString m_url;
    QProcess m_process;
};

/// Waits for @p reply to finish (with a deadline) and returns it.
inline kube::KubeReply *waitFor(kube::KubeReply *reply, int timeoutMs = 15000)
{
    if (!reply->isFinished()) {
        QSignalSpy spy(reply, &kube::KubeReply::finished);
        spy.wait(timeoutMs);
    }
    return reply;
}

} // namespace podtap::test

#define PODTAP_REQUIRE_SIM(sim)                                                                                        \
    QVERIFY2((sim).isReady(), "podtap-sim did not print 'ready <url>' (is it built? ninja podtap-sim)")
