// SPDX-License-Identifier: Apache-2.0
#include "pod_details_panel.h"

#include "cluster/pod_table_model.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace podtap::gui {

using cluster::PodTableModel;

QList<TapInterfaceChoice> tapInterfaceChoices(const QVariant &interfaces)
{
    QList<TapInterfaceChoice> choices;
    bool haveEth0 = false;
    for (const QVariant &entry : interfaces.toList()) {
        const QVariantMap map = entry.toMap();
        TapInterfaceChoice choice;
        choice.name = map.value(QStringLiteral("interface")).toString();
        if (choice.name.isEmpty())
            continue;
        haveEth0 = haveEth0 || choice.name == QLatin1String("eth0");
        const QString kind = map.value(QStringLiteral("deviceType")).toString();
        QStringList description;
        if (!kind.isEmpty())
            description << kind;
        const QStringList ips = map.value(QStringLiteral("ips")).toStringList();
        if (!ips.isEmpty())
            description << ips.join(QStringLiteral(", "));
        const QString network = map.value(QStringLiteral("network")).toString();
        if (!network.isEmpty())
            description << network;
        choice.description = description.join(QStringLiteral(" · "));
        choice.tappable = map.value(QStringLiteral("hasKernelNetdev"), true).toBool();
        if (!choice.tappable) {
            choice.reason = QCoreApplication::translate(
                "podtap", "%1 has no kernel network device in the pod, so there is nothing to mirror")
                                .arg(kind.isEmpty() ? QStringLiteral("this kind") : kind);
        }
        choices.append(choice);
    }
    // A pod without a network-status annotation still has its primary interface.
    if (!haveEth0)
        choices.prepend(
            TapInterfaceChoice {QStringLiteral("eth0"), QCoreApplication::translate("podtap", "primary"), true, {}});
    return choices;
}

QString containerStateText(const QVariantMap &container)
{
    const QString state = container.value(QStringLiteral("state")).toString();
    const QString reason = container.value(QStringLiteral("reason")).toString();
    if (state == QLatin1String("Unknown") || state.isEmpty())
        return QCoreApplication::translate("podtap", "No status yet");
    QString text = reason.isEmpty() ? state : QStringLiteral("%1: %2").arg(state, reason);
    if (state == QLatin1String("Terminated"))
        text += QCoreApplication::translate("podtap", " (exit %1)")
                    .arg(container.value(QStringLiteral("exitCode")).toInt());
    return text;
}

namespace {

QLabel *valueLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    return label;
}

} // namespace

PodDetailsPanel::PodDetailsPanel(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("podDetailsPanel"));
    auto *layout = new QVBoxLayout(this);
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("podTitle"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_title->setWordWrap(true);
    layout->addWidget(m_title);

    m_placeholder = new QLabel(tr("Select a pod to see its details."), this);
    m_placeholder->setEnabled(false);
    m_placeholder->setAlignment(Qt::AlignCenter);
    layout->addWidget(m_placeholder, 1);

    m_body = new QWidget(this);
    auto *body = new QVBoxLayout(m_body);
    body->setContentsMargins(0, 0, 0, 0);
    auto *form = new QFormLayout;
    form->setLabelAlignment(Qt::AlignLeft);
    m_status = valueLabel(m_body);
    m_status->setObjectName(QStringLiteral("podStatus"));
    m_containers = valueLabel(m_body);
    m_containers->setObjectName(QStringLiteral("podContainers"));
    m_node = valueLabel(m_body);
    m_node->setObjectName(QStringLiteral("podNode"));
    m_ip = valueLabel(m_body);
    m_ip->setObjectName(QStringLiteral("podIp"));
    m_age = valueLabel(m_body);
    m_labels = valueLabel(m_body);
    m_labels->setObjectName(QStringLiteral("podLabels"));
    m_labels->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    form->addRow(tr("Status:"), m_status);
    form->addRow(tr("Containers:"), m_containers);
    form->addRow(tr("Node:"), m_node);
    form->addRow(tr("Pod IP:"), m_ip);
    form->addRow(tr("Created:"), m_age);
    form->addRow(tr("Labels:"), m_labels);
    body->addLayout(form);

    m_containerList = new QTreeWidget(m_body);
    m_containerList->setObjectName(QStringLiteral("podContainerList"));
    m_containerList->setRootIsDecorated(false);
    m_containerList->setHeaderLabels({tr("Container"), tr("State"), tr("Ready"), tr("Restarts")});
    m_containerList->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_containerList->header()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_containerList->header()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    m_containerList->header()->setSectionResizeMode(3, QHeaderView::ResizeToContents);
    m_containerList->header()->setStretchLastSection(false);
    m_containerList->setSelectionMode(QAbstractItemView::NoSelection);
    body->addWidget(m_containerList);

    auto *interfacesTitle = new QLabel(tr("<b>Interfaces</b>"), m_body);
    body->addWidget(interfacesTitle);
    m_interfaces = new QTreeWidget(m_body);
    m_interfaces->setObjectName(QStringLiteral("podInterfaces"));
    m_interfaces->setRootIsDecorated(false);
    m_interfaces->setHeaderLabels({tr("Interface"), tr("Details")});
    m_interfaces->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_interfaces->setSelectionMode(QAbstractItemView::NoSelection);
    body->addWidget(m_interfaces, 1);

    m_tap = new QPushButton(QIcon::fromTheme(QStringLiteral("media-record")), tr("&Tap this pod…"), m_body);
    m_tap->setObjectName(QStringLiteral("tapPodButton"));
    body->addWidget(m_tap);
    connect(m_tap, &QPushButton::clicked, this, &PodDetailsPanel::tapRequested);
    layout->addWidget(m_body, 1);

    setPod({});
}

PodDetailsPanel::~PodDetailsPanel() = default;

void PodDetailsPanel::setPod(const QModelIndex &index)
{
    m_index = index.isValid() ? QPersistentModelIndex(index.siblingAtColumn(0)) : QPersistentModelIndex();
    refresh();
}

void PodDetailsPanel::refresh()
{
    const QModelIndex index = m_index;
    m_placeholder->setVisible(!index.isValid());
    m_body->setVisible(index.isValid());
    if (!index.isValid()) {
        m_title->setText(tr("<b>No pod selected</b>"));
        return;
    }
    const auto value = [&index](int role) { return index.data(role); };
    m_title->setText(
        QStringLiteral("<span style=\"font-size:large\"><b>%1</b></span><br>%2")
            .arg(value(PodTableModel::NameRole).toString().toHtmlEscaped(),
                tr("in namespace %1").arg(value(PodTableModel::NamespaceRole).toString().toHtmlEscaped())));
    m_status->setText(
        QStringLiteral("<span style=\"color:%1\">●</span> %2 <span style=\"color:palette(mid)\">(%3)</span>")
            .arg(value(PodTableModel::HealthColorRole).toString(),
                value(PodTableModel::StatusRole).toString().toHtmlEscaped(),
                value(PodTableModel::PhaseRole).toString().toHtmlEscaped()));
    const int ready = value(PodTableModel::ReadyContainersRole).toInt();
    const int total = value(PodTableModel::TotalContainersRole).toInt();
    QString containers =
        tr("%1 of %2 ready, %n restart(s)", nullptr, value(PodTableModel::RestartsRole).toInt()).arg(ready).arg(total);
    const QStringList ids = value(PodTableModel::ContainerIdsRole).toStringList();
    for (const QString &id : ids) {
        // runtime://0123456789abcdef…: the runtime and a short id are what a person compares.
        const qsizetype sep = id.indexOf(QLatin1String("://"));
        const QString runtime = sep > 0 ? id.left(sep) : QString();
        const QString shortId = (sep > 0 ? id.mid(sep + 3) : id).left(12);
        containers += QStringLiteral("<br><tt>%1</tt> %2").arg(shortId.toHtmlEscaped(), runtime.toHtmlEscaped());
    }
    m_containers->setText(containers);

    m_containerList->clear();
    const QVariantList containerList = value(PodTableModel::ContainersRole).toList();
    for (const QVariant &entry : containerList) {
        const QVariantMap container = entry.toMap();
        const QString kind = container.value(QStringLiteral("kind")).toString();
        QString name = container.value(QStringLiteral("name")).toString();
        if (kind != QLatin1String("app"))
            name += QStringLiteral(" (%1)").arg(kind);
        auto *item = new QTreeWidgetItem(m_containerList,
            {name, containerStateText(container),
                container.value(QStringLiteral("ready")).toBool() ? tr("yes") : tr("no"),
                QString::number(container.value(QStringLiteral("restarts")).toInt())});
        // The status column's colours, from the same phase/reason table.
        const QString colour = container.value(QStringLiteral("healthColor")).toString();
        if (!colour.isEmpty())
            item->setForeground(1, QColor(colour));
    }
    // Tall enough for every container without scrolling (pods rarely have more than a handful).
    const int rows = std::max<int>(1, int(containerList.size()));
    m_containerList->setFixedHeight(m_containerList->header()->sizeHint().height() +
        rows * (m_containerList->fontMetrics().height() + 6) + 2 * m_containerList->frameWidth() + 2);
    m_node->setText(value(PodTableModel::NodeRole).toString().toHtmlEscaped());
    m_ip->setText(value(PodTableModel::IpRole).toString().toHtmlEscaped());
    const qint64 created = value(PodTableModel::CreationTimeRole).toLongLong();
    m_age->setText(
        created > 0 ? QLocale().toString(QDateTime::fromMSecsSinceEpoch(created), QLocale::ShortFormat) : QString());

    const QVariantMap labels = value(PodTableModel::LabelsRole).toMap();
    QStringList labelLines;
    for (auto it = labels.cbegin(); it != labels.cend(); ++it)
        labelLines << QStringLiteral("%1=%2").arg(it.key(), it.value().toString());
    m_labels->setText(labelLines.isEmpty() ? tr("(none)") : labelLines.join(QLatin1Char('\n')));

    m_interfaces->clear();
    for (const TapInterfaceChoice &choice : tapInterfaceChoices(value(PodTableModel::InterfacesRole))) {
        auto *item =
            new QTreeWidgetItem(m_interfaces, {choice.name, choice.tappable ? choice.description : choice.reason});
        if (!choice.tappable) {
            item->setDisabled(true);
            item->setToolTip(0, choice.reason);
            item->setToolTip(1, choice.reason);
        }
    }
}

} // namespace podtap::gui
