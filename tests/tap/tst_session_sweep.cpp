// SPDX-License-Identifier: Apache-2.0
#include "tap/session_sweep.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace podtap;

namespace {

QJsonObject pod(const QString &name, const QString &phase, const QString &heartbeat, bool podtapLabel = true)
{
    QJsonObject labels {{QStringLiteral("podtap.io/session"), QStringLiteral("s") + name}};
    if (podtapLabel) {
        labels.insert(QStringLiteral("app.kubernetes.io/managed-by"), QStringLiteral("podtap"));
    }
    QJsonObject annotations;
    if (!heartbeat.isEmpty()) {
        annotations.insert(QStringLiteral("podtap.io/heartbeat"), heartbeat);
    }
    return QJsonObject {
        {QStringLiteral("metadata"),
            QJsonObject {{QStringLiteral("name"), name}, {QStringLiteral("namespace"), QStringLiteral("podtap")},
                {QStringLiteral("labels"), labels}, {QStringLiteral("annotations"), annotations}}},
        {QStringLiteral("status"), QJsonObject {{QStringLiteral("phase"), phase}}}};
}

} // namespace

/// @brief Which podtap pods count as leftovers: ended, or silent for longer than the heartbeat timeout.
class TestSessionSweep final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void decidesDeadFromPhaseAndHeartbeat()
    {
        const QDateTime now = QDateTime::fromString(QStringLiteral("2026-11-27T10:00:00Z"), Qt::ISODate);
        const QJsonObject list {{QStringLiteral("items"),
            QJsonArray {pod(QStringLiteral("fresh"), QStringLiteral("Running"), QStringLiteral("2026-11-27T09:59:00Z")),
                pod(QStringLiteral("silent"), QStringLiteral("Running"), QStringLiteral("2026-11-27T09:50:00Z")),
                pod(QStringLiteral("ended"), QStringLiteral("Succeeded"), QStringLiteral("2026-11-27T09:59:59Z")),
                pod(QStringLiteral("garbled"), QStringLiteral("Running"), QStringLiteral("yesterday")),
                pod(QStringLiteral("foreign"), QStringLiteral("Running"), QString(), false)}}};
        const QList<AgentPodInfo> pods = agentPodsFromList(list, now, 180);
        QCOMPARE(pods.size(), 4); // the pod without podtap's label is never touched
        QCOMPARE(pods[0].name, QStringLiteral("fresh"));
        QVERIFY(!pods[0].dead);
        QVERIFY(pods[1].dead);
        QVERIFY2(pods[1].deadReason.contains(QStringLiteral("600 s ago")), qPrintable(pods[1].deadReason));
        QVERIFY(pods[2].dead);
        QVERIFY(pods[3].dead);
        QCOMPARE(pods[0].sessionId, QStringLiteral("sfresh"));
    }

    void manifestPodsWithoutHeartbeatAreKeptUntilTheyEnd()
    {
        // `podtapctl manifest` pods belong to whoever ran kubectl: no sweep takes them while they run.
        const QDateTime now = QDateTime::fromString(QStringLiteral("2026-11-27T10:00:00Z"), Qt::ISODate);
        const QJsonObject list {{QStringLiteral("items"),
            QJsonArray {pod(QStringLiteral("manual"), QStringLiteral("Running"), QStringLiteral("none")),
                pod(QStringLiteral("manual-done"), QStringLiteral("Failed"), QStringLiteral("none"))}}};
        const QList<AgentPodInfo> pods = agentPodsFromList(list, now, 180);
        QCOMPARE(pods.size(), 2);
        QVERIFY2(!pods[0].dead, qPrintable(pods[0].deadReason));
        QVERIFY(pods[1].dead);
    }
};

QTEST_GUILESS_MAIN(TestSessionSweep)
#include "tst_session_sweep.moc"
