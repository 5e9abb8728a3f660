// SPDX-License-Identifier: Apache-2.0
#include "pod_details_panel.h"

#include "cluster/kubectl_format.h"
#include "cluster/pod_table_model.h"
#include "cluster/tap_interfaces.h"
#include "widgets/plain_text.h"

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

using cluster::PodContainer;
using cluster::PodTableModel;

namespace {

QLabel *valueLabel(QWidget *parent)
{
    // Plain text: names, node, IPs and labels come from the cluster and may look like HTML.
    QLabel *label = plainLabel(parent);
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
    const cluster::PodRow *pod = m_index.isValid() ? PodTableModel::podAt(m_index) : nullptr;
    m_placeholder->setVisible(!pod);
    m_body->setVisible(pod);
    if (!pod) {
        m_title->setText(tr("<b>No pod selected</b>"));
        return;
    }
    // The title and status mix the panel's own markup with cluster text, which is escaped.
    m_title->setText(
        QStringLiteral("<span style=\"font-size:large\"><b>%1</b></span><br>%2")
            .arg(pod->name.toHtmlEscaped(), tr("in namespace %1").arg(pod->namespaceName.toHtmlEscaped())));
    m_status->setTextFormat(Qt::RichText);
    m_status->setText(
        QStringLiteral("<span style=\"color:%1\">●</span> %2 <span style=\"color:palette(mid)\">(%3)</span>")
            .arg(healthColor(cluster::podHealth(*pod)).name(QColor::HexRgb), pod->status.toHtmlEscaped(),
                pod->phase.toHtmlEscaped()));
    QString containers = tr("%1 of %2 ready, %n restart(s)", nullptr, pod->restarts)
                             .arg(pod->readyContainers)
                             .arg(pod->totalContainers)
                             .toHtmlEscaped();
    for (const QString &id : pod->containerIds) {
        // runtime://0123456789abcdef…: the runtime and a short id are what a person compares.
        const qsizetype sep = id.indexOf(QLatin1String("://"));
        const QString runtime = sep > 0 ? id.left(sep) : QString();
        const QString shortId = (sep > 0 ? id.mid(sep + 3) : id).left(12);
        containers += QStringLiteral("<br><tt>%1</tt> %2").arg(shortId.toHtmlEscaped(), runtime.toHtmlEscaped());
    }
    m_containers->setTextFormat(Qt::RichText);
    m_containers->setText(containers);

    m_containerList->clear();
    for (const PodContainer &container : pod->containers) {
        QString name = container.name;
        if (container.kind == PodContainer::Kind::Init)
            name += tr(" (init)");
        else if (container.kind == PodContainer::Kind::Ephemeral)
            name += tr(" (ephemeral)");
        auto *item = new QTreeWidgetItem(m_containerList,
            {name, cluster::kubectl::containerState(container), container.ready ? tr("yes") : tr("no"),
                QString::number(container.restarts)});
        // The status column's colours, from the same phase/reason table.
        item->setForeground(1, healthColor(cluster::podHealth(container)));
    }
    // Tall enough for every container without scrolling (pods rarely have more than a handful).
    const int rows = std::max<int>(1, int(pod->containers.size()));
    m_containerList->setFixedHeight(m_containerList->header()->sizeHint().height() +
        rows * (m_containerList->fontMetrics().height() + 6) + 2 * m_containerList->frameWidth() + 2);
    m_node->setText(pod->nodeName);
    m_ip->setText(pod->podIp);
    m_age->setText(pod->creationMs > 0
            ? QLocale().toString(QDateTime::fromMSecsSinceEpoch(pod->creationMs), QLocale::ShortFormat)
            : QString());

    QStringList labelLines;
    for (const auto &[key, value] : pod->labels)
        labelLines << QStringLiteral("%1=%2").arg(key, value);
    m_labels->setText(labelLines.isEmpty() ? tr("(none)") : labelLines.join(QLatin1Char('\n')));

    m_interfaces->clear();
    for (const cluster::TapInterface &choice : cluster::tapInterfaces(*pod)) {
        auto *item =
            new QTreeWidgetItem(m_interfaces, {choice.name, choice.tappable ? choice.description : choice.reason});
        if (!choice.tappable) {
            item->setDisabled(true);
            item->setToolTip(0, plainToolTip(choice.reason));
            item->setToolTip(1, plainToolTip(choice.reason));
        }
    }
}

} // namespace podtap::gui
