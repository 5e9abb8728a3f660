// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "kube/cluster_connection.h"
#include "kube/kube_client.h"
#include "support/process.h"
#include "support/sim_process.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

#include <memory>

namespace podtap::test {

/// @brief A running podtap-sim for one test, on a loopback port, with its kubeconfig loaded through
/// the real loader. The process itself is a SimProcess: the one way tests start kube-sim.
class SimFixture final
{
public:
    explicit SimFixture(const QStringList &args)
    {
        if (!m_sim.start(args + QStringList {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")}, &m_error)) {
            qWarning("%s", qPrintable(m_error));
        }
    }

    bool isReady() const { return !m_sim.url().isEmpty(); }
    QString url() const { return m_sim.url(); }
    QString kubeconfig() const { return m_sim.kubeconfig(); }
    QString dir() const { return m_sim.dir(); }
    /// Why the sim did not start (empty when it did).
    const QString &error() const { return m_error; }
    SimProcess &process() { return m_sim; }

    /// A client for the sim's kubeconfig through the real loader (kubectl's rules).
    std::unique_ptr<kube::KubeClient> client(QString *error = nullptr) const
    {
        kube::ClusterConnection connection = kube::connectToCluster(kubeconfig(), QString());
        if (error) {
            *error = connection.error;
        }
        return std::move(connection.client);
    }

    kube::RestConfig restConfig() const
    {
        kube::ClusterConnection connection = kube::connectToCluster(kubeconfig(), QString());
        return connection.client ? connection.client->config() : kube::RestConfig {};
    }

private:
    SimProcess m_sim;
    QString m_error;
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

/// Switches kube-sim's faults (POST /sim/faults, the keys it names); true when the sim took them.
inline bool setSimFaults(kube::KubeClient *client, const QJsonObject &faults)
{
    kube::KubeRequest request;
    request.verb = "POST";
    request.path = QStringLiteral("/sim/faults");
    request.body = QJsonDocument(faults).toJson(QJsonDocument::Compact);
    kube::KubeReply *reply = waitFor(client->send(request));
    reply->deleteLater();
    return reply->ok();
}

} // namespace podtap::test

#define PODTAP_REQUIRE_SIM(sim)                                                                                        \
    QVERIFY2((sim).isReady(), "podtap-sim did not print 'ready <url>' (is it built? ninja podtap-sim)")
