// SPDX-License-Identifier: Apache-2.0
// TapPlanner without a cluster: what a manifest made offline gets (the VNI and the destination),
// and the error when there is nothing to look the target up with. The planning against the API is
// covered by tst_tap_session_sim and tst_manifest_against_sim, which both plan through it.
#include "tap/tap_planner.h"

#include <QSignalSpy>
#include <QTest>

using namespace podtap;

namespace {

TapRequest request(const QString &destination, const QString &vni = {})
{
    TapRequestFields fields;
    fields.targetNamespace = QStringLiteral("shop");
    fields.pod = QStringLiteral("cart-0");
    fields.destination = destination;
    fields.vni = vni;
    ValidationProblems problems;
    const TapRequest parsed = TapRequest::fromFields(fields, &problems);
    if (!problems.isEmpty()) {
        qFatal("bad request: %s", qPrintable(problems.first().toString()));
    }
    return parsed;
}

TapPlan knownTarget(const TapRequest &request)
{
    TapPlan plan = TapPlan::fromRequest(request, QStringLiteral("ab12cd34ef"));
    plan.targetNode = QStringLiteral("node-a");
    plan.targetNodeIp = QStringLiteral("192.0.2.11");
    plan.containerId = QStringLiteral("containerd://3f4e1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f");
    return plan;
}

} // namespace

/// @brief The planner completes a plan whose target is known, and says why when it cannot.
class TestTapPlanner final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void offlinePlanKeepsTheGivenVni()
    {
        const TapRequest req = request(QStringLiteral("ip:198.51.100.7"), QStringLiteral("4242"));
        TapPlanner planner(nullptr, req, knownTarget(req));
        QSignalSpy planned(&planner, &TapPlanner::planned);
        QSignalSpy failed(&planner, &TapPlanner::failed);
        planner.start();
        QCOMPARE(failed.size(), 0);
        QCOMPARE(planned.size(), 1);
        QCOMPARE(planner.plan().vni, 4242u);
        QCOMPARE(planner.plan().destinationIp, QStringLiteral("198.51.100.7"));
        const ValidationProblems problems = validatePlan(planner.plan());
        QVERIFY2(problems.isEmpty(), qPrintable(problems.isEmpty() ? QString() : problems.first().toString()));
    }

    void offlinePlanChoosesAVniAndThisMachinesAddress()
    {
        const TapRequest req = request(QStringLiteral("local"));
        TapPlanner planner(nullptr, req, knownTarget(req));
        planner.setLocalIp(QStringLiteral("203.0.113.9"));
        QSignalSpy planned(&planner, &TapPlanner::planned);
        planner.start();
        QCOMPARE(planned.size(), 1);
        QVERIFY(planner.plan().vni >= 1 && planner.plan().vni <= TapRequest::kMaxVni);
        QCOMPARE(planner.plan().destinationIp, QStringLiteral("203.0.113.9"));
    }

    // The userspace receiver tells directions apart by VNI: a second one, distinct, only when egress is tapped
    // and only when asked (podtapctl manifest keeps kokotap's one VNI).
    void egressVniOnlyForTheUserspaceReceiverWithEgress()
    {
        const auto plan = [](const QString &destination, const QString &direction, bool choose) {
            TapRequest req = request(destination, QStringLiteral("4242"));
            req.direction = *parseDirection(direction);
            TapPlanner planner(nullptr, req, knownTarget(req));
            planner.setLocalIp(QStringLiteral("203.0.113.9"));
            planner.setChooseEgressVni(choose);
            planner.start();
            return planner.plan();
        };
        const TapPlan both = plan(QStringLiteral("local"), QStringLiteral("both"), true);
        QCOMPARE(both.vni, 4242u);
        QVERIFY(both.egressVni >= 1 && both.egressVni <= TapRequest::kMaxVni);
        QVERIFY(both.egressVni != both.vni);
        QVERIFY(validatePlan(both).isEmpty());
        QVERIFY(plan(QStringLiteral("local"), QStringLiteral("egress"), true).egressVni != 0);
        QCOMPARE(plan(QStringLiteral("local"), QStringLiteral("ingress"), true).egressVni, 0u);
        QCOMPARE(plan(QStringLiteral("local-interface"), QStringLiteral("both"), true).egressVni, 0u);
        QCOMPARE(plan(QStringLiteral("local"), QStringLiteral("both"), false).egressVni, 0u);
    }

    void withoutAClusterAnUnknownTargetIsAnError()
    {
        const TapRequest req = request(QStringLiteral("local"));
        TapPlanner planner(nullptr, req, TapPlan::fromRequest(req, QStringLiteral("ab12cd34ef")));
        QSignalSpy planned(&planner, &TapPlanner::planned);
        QSignalSpy failed(&planner, &TapPlanner::failed);
        planner.start();
        QCOMPARE(planned.size(), 0);
        QCOMPARE(failed.size(), 1);
        QVERIFY2(failed.first().at(0).toString().contains(QLatin1String("shop/cart-0")),
            qPrintable(failed.first().at(0).toString()));
        QVERIFY(!failed.first().at(1).toString().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestTapPlanner)
#include "tst_tap_planner.moc"
