// SPDX-License-Identifier: Apache-2.0
// podtapctl against podtap-sim: text the cluster wrote reaches the terminal with its controls escaped.
#include "sim_fixture.h"

#include <QJsonArray>
#include <QtTest>

using podtap::test::builtExecutable;
using podtap::test::run;
using podtap::test::SimFixture;

namespace {

// What a tenant can write into a label, an annotation or a selector: recolour, retitle the
// terminal (OSC ... BEL), a C1 CSI, a carriage return that overwrites the line.
const QString kHostile = QStringLiteral("\x1b[31mred\x1b]0;owned\x07\u009b2J\rgone");
const QString kEscaped = QStringLiteral("\\x1b[31mred\\x1b]0;owned\\x07\\x9b2J\\x0dgone");

bool hasTerminalControls(const QByteArray &output)
{
    const QString text = QString::fromUtf8(output);
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if ((u < 0x20 && u != '\n' && u != '\t') || (u >= 0x7f && u < 0xa0))
            return true;
    }
    return false;
}

} // namespace

/// @brief podtapctl get, list and its errors never pass the cluster's control characters to the terminal.
class TestPodtapctlTerminalEscaping final : public QObject
{
    Q_OBJECT

    std::unique_ptr<SimFixture> m_sim;

    QStringList podtapctl(const QStringList &args) const
    {
        return QStringList {builtExecutable(QStringLiteral("app/cli/podtapctl"))} + args +
            QStringList {QStringLiteral("--kubeconfig"), m_sim->kubeconfig()};
    }

    bool waitFor(podtap::kube::KubeReply *reply)
    {
        if (!reply->isFinished()) {
            QSignalSpy finished(reply, &podtap::kube::KubeReply::finished);
            if (!finished.wait(20000))
                return false;
        }
        return reply->ok();
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_sim = std::make_unique<SimFixture>(QStringList {QStringLiteral("--namespaces"), QStringLiteral("1"),
            QStringLiteral("--pods"), QStringLiteral("2"), QStringLiteral("--nodes"), QStringLiteral("1")});
        PODTAP_REQUIRE_SIM(*m_sim);
    }

    void cleanupTestCase() { m_sim.reset(); }

    void getTablesEscapeCells()
    {
        auto client = m_sim->client();
        QVERIFY(client);
        // A node role is a label key: whoever may label nodes decides what ROLES prints.
        QVERIFY(waitFor(client->patch(QStringLiteral("/api/v1/nodes/node-001"),
            QJsonObject {{QStringLiteral("metadata"),
                QJsonObject {{QStringLiteral("labels"),
                    QJsonObject {{QStringLiteral("node-role.kubernetes.io/") + kHostile, QString()}}}}}})));
        const auto result = run(podtapctl({QStringLiteral("get"), QStringLiteral("nodes")}));
        QVERIFY2(result.ok(), qPrintable(result.describe({QStringLiteral("podtapctl get nodes")})));
        QVERIFY2(!hasTerminalControls(result.out), result.out.constData());
        QVERIFY2(QString::fromUtf8(result.out).contains(kEscaped), result.out.constData());
    }

    void serverErrorsAreEscaped()
    {
        // The API server quotes the bad selector back in its message.
        const auto result = run(podtapctl({QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-A"),
            QStringLiteral("-l"), kHostile + QStringLiteral("=x")}));
        QCOMPARE(result.exitCode, 1);
        QVERIFY2(!hasTerminalControls(result.err), result.err.constData());
        QVERIFY2(QString::fromUtf8(result.err).contains(QStringLiteral("\\x1b[31mred")), result.err.constData());
    }

    void sessionListEscapesAnnotations()
    {
        auto client = m_sim->client();
        QVERIFY(client);
        QVERIFY(waitFor(client->create(QStringLiteral("/api/v1/namespaces"),
            QJsonObject {{QStringLiteral("apiVersion"), QStringLiteral("v1")},
                {QStringLiteral("kind"), QStringLiteral("Namespace")},
                {QStringLiteral("metadata"), QJsonObject {{QStringLiteral("name"), QStringLiteral("podtap")}}}})));
        const QJsonObject pod {{QStringLiteral("apiVersion"), QStringLiteral("v1")},
            {QStringLiteral("kind"), QStringLiteral("Pod")},
            {QStringLiteral("metadata"),
                QJsonObject {{QStringLiteral("name"), QStringLiteral("podtap-hostile")},
                    {QStringLiteral("labels"),
                        QJsonObject {{QStringLiteral("app.kubernetes.io/managed-by"), QStringLiteral("podtap")},
                            {QStringLiteral("app.kubernetes.io/component"), QStringLiteral("sender")},
                            {QStringLiteral("podtap.io/session"), QStringLiteral("s1")}}},
                    {QStringLiteral("annotations"),
                        QJsonObject {{QStringLiteral("podtap.io/target"), QStringLiteral("shop/") + kHostile}}}}},
            {QStringLiteral("spec"),
                QJsonObject {{QStringLiteral("nodeName"), QStringLiteral("node-001")},
                    {QStringLiteral("containers"),
                        QJsonArray {QJsonObject {{QStringLiteral("name"), QStringLiteral("agent")},
                            {QStringLiteral("image"), QStringLiteral("podtap-agent")}}}}}}};
        QVERIFY(waitFor(client->create(QStringLiteral("/api/v1/namespaces/podtap/pods"), pod)));
        const auto result = run(podtapctl({QStringLiteral("list")}));
        QVERIFY2(result.ok(), qPrintable(result.describe({QStringLiteral("podtapctl list")})));
        QVERIFY2(!hasTerminalControls(result.out), result.out.constData());
        QVERIFY2(QString::fromUtf8(result.out).contains(QStringLiteral("shop/") + kEscaped.left(20)),
            result.out.constData());
    }
};

QTEST_GUILESS_MAIN(TestPodtapctlTerminalEscaping)
#include "tst_podtapctl_terminal_escaping.moc"
