"""Demo data: the 2022 Côte d'Ivoire – United States Child Protection Compact (CPC) partnership.

Copied VERBATIM, in French, from the signed text: ``../shared/seeds/001_fb6daff13ea1fbcc.txt`` (the
"seed"; "l. N" below is a line of that file). Accents, punctuation and the typos of the signed text are
kept as they are (« au Inspections du Travail », « conforme à la MNR »…); only the "- " of a bullet and
the surrounding white space are removed. The seed came from a scanned PDF: see ``../shared/README.md``
for what was lost (the prosecution pillar's heading, the protection pillar's indicators).

``pacte/compacts/tests/test_demo.py`` parses the seed itself and checks this module against it.

Organisations marked « démo » / « démonstration », and every person of ``USERS``, are fictitious.
``load_demo`` (pacte/compacts/management/commands/load_demo.py) writes all of this through the services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

SEED_FILE = "seeds/001_fb6daff13ea1fbcc.txt"  # relative to ../shared/ from the project root

# The one demo password of the demo accounts (README: change it, never use demo data in production).
DEMO_PASSWORD = "pacte-demo-2022"  # noqa: S105 - documented demo password, not a secret

# -- the compact ------------------------------------------------------------------------------------
# Title page, l. 9–21 (« PARTENARIAT RELATIF AU PACTE POUR LA PROTECTION DE L'ENFANCE (CPC) ENTRE LE
# GOUVERNEMENT DE LA REPUBLIQUE DE CÔTE D'IVOIRE ET LE GOUVERNEMENT DES ETATS-UNIS D'AMERIQUE »), in
# sentence case. Title and country identify the demo compact: load_demo skips it when it exists.
TITLE = (
    "Partenariat relatif au Pacte pour la protection de l'enfance (CPC) entre le Gouvernement de la "
    "République de Côte d'Ivoire et le Gouvernement des États-Unis d'Amérique"
)
COUNTRY = "CIV"

# Section I « Objet », l. 54.
PURPOSE = (
    "Le présent Partenariat CPC vise à renforcer et à intensifier les efforts déployés par la Côte "
    "d'Ivoire, ainsi que les Organisations de la société civile en Côte d'Ivoire, dans la lutte contre "
    "la traite des enfants. Ce Partenariat privilégie une approche axée sur les victimes, coordonnée, "
    "durable et multisectorielle, de façon à soutenir un système efficace en matière de prévention, de "
    "protection et de justice. Cette approche comprend l'exécution d'une stratégie de prévention axée "
    "sur les victimes, qui s'intéresse à des facteurs de risque ciblés, promeut une protection complète "
    "et une prise en charge de qualité des victimes, enquête sur les auteurs de traite des enfants, les "
    "poursuit en justice et obtient leur condamnation."
)

# Section II « But et objectifs », l. 60 (« But : … »).
GOAL = "La Côte d'Ivoire lutte contre la traite des enfants de façon coordonnée et précoce."

# Signature block, l. 200: « SIGNÉ à Abidjan, le 07 décembre 2022 ». Section XI, l. 189: in force from
# signature for five (05) years, unless extended (section IX).
SIGNATURE_DATE = dt.date(2022, 12, 7)
SIGNATURE_PLACE = "Abidjan"
END_DATE = dt.date(2027, 12, 7)

# The two parties (preamble, l. 25–28).
US_PARTY_NAME = "Gouvernement des États-Unis d'Amérique"
PARTNER_PARTY_NAME = "Gouvernement de la République de Côte d'Ivoire"

# -- objectives (section II) and the joint action framework (Annex A, l. 238–350) -----------------------
OBJECTIVES: list[dict[str, Any]] = [
    {
        "pillar": "prevention",
        "number": 1,
        # Section II, 1er objectif (prevention), l. 62.
        "statement": (
            "Les efforts de prévention de la traite des mineurs sont coordonnés et ciblés sur "
            "l'ensemble du territoire national."
        ),
        # Annex A, « PRÉVENTION » heading, l. 242.
        "framework_statement": (
            "Les efforts de prévention de la traite des enfants sont coordonnés et ciblés sur "
            "l'ensemble du pays."
        ),
        # Annex A, « Activités illustratives », l. 246–252, 256–261 (13 bullets).
        "activities": [
            (
                "Mener une étude qualitative sur la nature, les causes et les manifestations de la "
                "traite des enfants en Côte d'Ivoire conjointement avec les experts Ivoiriens et les "
                "acteurs gouvernementaux de la Côte d'Ivoire"
            ),
            (
                "Mener des campagnes de sensibilisation et de communication contre la traite des "
                "enfants à travers le pays en ciblant les communautés à risque, les acteurs du secteur "
                "des transports et les agents publics des postes frontaliers."
            ),
            (
                "Organiser et institutionnaliser des séminaires de formation des Magistrats, des "
                "Policiers, des Douaniers, des Gendarmes, des autorités des Eaux et Forêts, des Agents "
                "des mines, des Diplomates ivoiriens à l'étranger, des Comités régionaux "
                "interministériels, des Travailleurs Sociaux, des Inspecteurs du Travail, des "
                "Enseignants, des Infirmiers, des ONG locales, et des Journalistes et sur "
                "l'identification de la traite des enfants et les procédures de prise en charge des "
                "victimes, conformément au mécanisme national de référencement (MNR) en cours et aux "
                "procédures d'identification des victimes."
            ),
            (
                "Élaborer et mettre à la disposition des acteurs nationaux des outils de formation et "
                "de sensibilisation contre la traite des enfants."
            ),
            (
                "Travailler avec les Ministères concernés pour promouvoir l'enregistrement des "
                "naissances et l'acquisition de documents d'identité."
            ),
            (
                "Élaborer et échanger des procédures opérationnelles standards (POS) et/ou des guides "
                "concernant la sensibilisation à la traite des enfants et la prévention auprès des "
                "dirigeants communautaires et d'autres parties prenantes."
            ),
            (
                "Fournir une assistance technique au Ministère de l'Emploi et de la Protection Sociale "
                "pour les inspections inopinées."
            ),
            (
                "Collaborer avec les coopératives d'agriculteurs et les Comités de protection de "
                "l'enfance existants pour instaurer des initiatives de résilience économique."
            ),
            (
                "Offrir des interventions ciblées telles que : travailler avec des coopératives "
                "d'épargne et de crédit communautaires, créer d'autres stratégies d'inclusion "
                "financière, dispenser des formations professionnelles, et trouver des moyens de "
                "subsistance alternatifs pour les communautés les plus vulnérables."
            ),
            (
                "Mobiliser les établissements scolaires et les communautés afin de créer et d'adopter "
                "des plans d'action pour la prévention de la traite des enfants."
            ),
            (
                "Renforcer les capacités opérationnelles des structures nationales en charge de la "
                "lutte contre la traite des enfants en Côte d'Ivoire."
            ),
            (
                "Fournir un soutien pour étendre le Système d'Observation et de Suivi du Travail des "
                "Enfants en Côte d'Ivoire (SOSTECI) pour inclure les enfants victimes de la traite à "
                "l'intérieur et à l'extérieur du secteur du cacao."
            ),
            (
                "Appuyer et fournir une assistance technique au Ministère de la Femme, de la Famille et "
                "de l'Enfance sur des stratégies de prévention efficaces."
            ),
        ],
        # Annex A, « Indicateurs illustratifs », l. 265–268 (4 bullets).
        "indicators": [
            "Nombre de campagnes de prévention réalisées",
            "Nombre de personnes touchées par les campagnes de prévention",
            (
                "Nombre de personnes ayant été formées aux typologies, lois et interventions en matière "
                "de traite des enfants"
            ),
            "Nombre de familles vulnérables soutenues par des interventions",
        ],
    },
    {
        "pillar": "protection",
        "number": 2,
        # Section II, 2e objectif (protection), l. 64.
        "statement": (
            "La Côte d'Ivoire appuie directement les victimes de la traite des enfants en leur "
            "apportant des soins disponibles et aisément accessibles, à l'aide d'une approche tenant "
            "compte des traumatismes subis, et axée sur les victimes, et soutient les Organisations de "
            "la société civile locale qui œuvrent dans le domaine de la protection des enfants sur "
            "l'ensemble du territoire national."
        ),
        # Annex A, « PROTECTION » heading, l. 270.
        "framework_statement": (
            "La Côte d'Ivoire appuie directement les enfants victimes de la traite en leur apportant "
            "des soins disponibles et aisément accessibles à l'aide d'une approche tenant compte des "
            "traumatismes subis et axée sur les victimes, et il soutient la société civile locale qui "
            "œuvre à la protection dans l'ensemble du pays."
        ),
        # Annex A, « Activités illustratives », l. 274, 278–290 (14 bullets).
        "activities": [
            (
                "Développer et/ou renforcer les programmes d'études existants et mettre en œuvre des "
                "formations axées sur les victimes ainsi que des approches tenant compte des "
                "traumatismes subis à l'intention des travailleurs sociaux et des collaborateurs "
                "travaillant dans les centres sociaux (assortis d'un mentorat et d'un coaching de "
                "suivi)."
            ),
            (
                "Institutionnaliser les formations nouvellement créées pour les travailleurs sociaux et "
                "les fonctionnaires des centres sociaux dans les programmes des institutions nationales "
                "de formation."
            ),
            (
                "Fournir un appui direct (Ordinateurs, motos, véhicules, fournitures et matériels de "
                "bureau, consommables informatiques...) aux Centres Sociaux de l'Etat, au Inspections "
                "du Travail, et aux services de police afin de renforcer leur capacité à protéger les "
                "enfants victimes de la traite."
            ),
            (
                "Fournir un appui direct aux organisations de la société civile qui offrent des "
                "services de protection aux enfants victimes de la traite, et qui sont reconnues et qui "
                "travaillent en collaboration avec les Ministères techniques concernés."
            ),
            (
                "Mener des activités de plaidoyer auprès du Gouvernement pour qu'il ouvre des centres "
                "sociaux supplémentaires dans des endroits ciblés."
            ),
            (
                "Créer une base de données complète de tous les prestataires de services qui "
                "travaillent dans la protection de l'enfance."
            ),
            (
                "Appuyer les efforts de réintégration, y compris mais sans s'y limiter, "
                "d'apprentissage/formation professionnelle, de paiement des frais de scolarité, de "
                "soutien aux petites entreprises."
            ),
            (
                "Faire du plaidoyer en faveur de la création d'une ligne budgétaire dédiée à la traite "
                "des personnes dans le budget national de la protection."
            ),
            (
                "Appuyer la ligne d'assistance téléphonique et l'application mobile afin qu'elles "
                "soient plus réactives à l'égard des victimes et accroître les capacités à identifier "
                "et assister les victimes."
            ),
            (
                "Renforcer les capacités des acteurs concernés pour mettre en œuvre le MNR et établir "
                "des procédures opérationnelles standards (POS) de prise en charge des victimes de "
                "traite des personnes, surtout des enfants."
            ),
            (
                "Organiser une revue annuelle du MNR et des POS d'assistance aux victimes de traite des "
                "personnes."
            ),
            (
                "Reproduire et diffuser la cartographie des structures d'assistance, des centres "
                "d'accueil et de transit des victimes de la traite des personnes."
            ),
            (
                "Fournir une assistance et/ou un soutien opérationnel pour soutenir les centres d'Etat "
                "d'accueil et de transit des victimes de traite des personnes, surtout des enfants."
            ),
            (
                "Fournir une assistance et/ou un soutien opérationnel pour soutenir les centres privés "
                "de prise en charge des victimes de traite des personnes."
            ),
        ],
        # None: the protection pillar's illustrative indicators were lost with a page of the scanned
        # original. Pacte shows the pillar as a gap; do not invent indicators.
        "indicators": [],
    },
    {
        "pillar": "prosecution",
        "number": 3,
        # Section II, 3e objectif (prosecution), l. 66.
        "statement": (
            "Les Forces de l'Ordre et les acteurs de l'appareil judiciaire, parmi lesquels figurent les "
            "Magistrats du Parquet (Procureurs et Substituts), utilisent le cadre juridique en vigueur, "
            "spécifique à la traite des personnes, pour identifier les victimes de la traite des "
            "enfants, enquêter sur les affaires liées à la traite des enfants, poursuivre et condamner "
            "les auteurs selon une approche axée sur les victimes, en tenant compte des traumatismes "
            "subis par les enfants."
        ),
        # Annex A: the heading of this pillar (« Poursuites judiciaires ») was lost with a page of the
        # scanned original (see ../shared/README.md): there is no Annex A statement to copy.
        "framework_statement": "",
        # Annex A, the second « Activités illustratives » after PROTECTION (l. 294): l. 296–307, 311–315
        # (17 bullets). From « Appuyer un consultant/mentor destiné au Ministère de la Justice… » on, they
        # belong to the prosecution pillar (../shared/README.md).
        "activities": [
            (
                "Appuyer un consultant/mentor destiné au Ministère de la Justice et/ou aux Unités de la "
                "Police."
            ),
            (
                "Développer et/ou renforcer les programmes d'études existants et mettre en œuvre des "
                "formations complètes (initiales et avancées) pour les acteurs du secteur de la justice "
                "concernant la législation de lutte contre la traite des personnes et les modalités de "
                "son utilisation au cours des enquêtes, poursuites et condamnations."
            ),
            (
                "Mettre en œuvre et/ou institutionnaliser des formations complètes existantes dans les "
                "programmes d'enseignement destinés aux nouveaux personnels du secteur judiciaire."
            ),
            (
                "Élaborer des procédures opérationnelles permanentes et des plans d'application "
                "afférents pour l'identification des victimes et la gestion des dossiers, conforme à la "
                "MNR et POS d'identification des victimes."
            ),
            (
                "Aménager des espaces adaptés pour les enfants admis dans les locaux de la "
                "Sous-Direction de la Police Criminelle chargée de la lutte contre le Trafic d'Enfants "
                "et la Délinquance Juvénile (SDLTETDJ) ou dans d'autres Service de Police similaires."
            ),
            (
                "Créer des politiques concernant les espaces adaptés aux enfants qui sont adoptées et "
                "servent à former les personnels concernés."
            ),
            (
                "Fournir une assistance et/ou un soutien opérationnel pour soutenir des unités "
                "supplémentaires au SDLTETDJ qui se concentrent sur les enfants victimes de la traite "
                "en dehors d'Abidjan."
            ),
            (
                "Doter les entités publiques en charge de la lutte contre la traite des enfants en Côte "
                "d'Ivoire (SDLTETDJ, CNS, CIM, CNLTP, UCT, Brigade Mondaine), de motos, véhicules, de "
                "matériel et de fournitures de bureau adéquats."
            ),
            (
                "Passer en revue les systèmes de collecte de données utilisés par les acteurs "
                "juridiques pour assurer qu'ils sont complets et échangeables avec les parties "
                "prenantes concernées."
            ),
            (
                "Former les entités des forces de l'ordre aux méthodes tenant compte des traumatismes "
                "subis et adaptées aux enfants pour recueillir des éléments de preuve et des "
                "témoignages auprès des survivants de la traite des enfants."
            ),
            (
                "Apporter un appui à la réalisation d'opérations de police de lutte contre la traite "
                "des enfants."
            ),
            (
                "Rédiger et diffuser un manuel d'enquête, de poursuite et de jugement à l'intention des "
                "acteurs de la chaîne pénale."
            ),
            (
                "Adopter des protocoles avec l'approche axée sur les victimes, et tenant compte des "
                "traumatismes subis pour interviewer des témoins et victimes."
            ),
            (
                "Appuyer la prise en charge des procédures judiciaires par rapport aux cas de traite "
                "des enfants."
            ),
            "Apporter un appui pour les investigations des cas de traite des enfants.",
            (
                "Organiser un atelier d'appropriation des nouveaux instruments de répression sur la "
                "traite et l'exploitation des enfants."
            ),
            (
                "Développer et institutionnaliser des procédures adaptées aux enfants pour "
                "l'accompagnement des enfants victimes et témoins de la traite des personnes devant les "
                "tribunaux."
            ),
        ],
        # Annex A, « Indicateurs illustratifs », l. 319–325 (7 bullets).
        "indicators": [
            "Augmentation des enquêtes de cas de traite d'enfants, en pourcentage",
            "Augmentation des poursuites judiciaires de cas de traite d'enfants, en pourcentage",
            "Augmentation des condamnations de cas de traite d'enfants, en pourcentage",
            (
                "Nombre de nouvelles mesures de protection mises en place pour les victimes en contexte "
                "judiciaire"
            ),
            (
                "Nombre de procédures opérationnelles permanentes nouvelles et améliorées ayant été "
                "institutionnalisées"
            ),
            (
                "Nombre de nouveaux processus mis en place ou améliorés de coordination et de "
                "communication parmi les acteurs de la justice pénale"
            ),
            "Nombre d'opérations de police réalisées",
        ],
    },
    {
        "pillar": "partnership",
        "number": 4,
        # Section II, 4e objectif (partnership), l. 68.
        "statement": (
            "La Côte d'Ivoire lutte contre la traite des enfants de façon coordonnée avec tous les "
            "Ministères concernés, ainsi que les acteurs de la société civile, et les communautés "
            "locales et étrangères."
        ),
        # Annex A, « PARTENARIAT » heading, l. 327.
        "framework_statement": (
            "La Côte d'Ivoire lutte contre la traite des enfants de façon coordonnée avec tous les "
            "Ministères concernés ainsi que les Organisations de la société civile, les communautés "
            "locales et étrangères."
        ),
        # Annex A, « Activités illustratives », l. 331–333, 337–343 (10 bullets).
        "activities": [
            (
                "Établir un Comité de coordination des OSC et préparer un projet de plan de pérennité "
                "en assurant le fonctionnement dans la durée."
            ),
            (
                "Animer une planification des actions de durabilité afin de poursuivre les efforts du "
                "CPC au-delà de la fin de l'accord."
            ),
            "Former les entités concernées au MNR.",
            (
                "Organiser des rencontres entre le CNLTP, le CIM et le CNS pour une coordination "
                "intégrée de la lutte contre la traite des personnes, surtout des enfants."
            ),
            (
                "Produire avec tous les acteurs impliqués un rapport national annuel sur la traite des "
                "personnes, notamment sur la lutte contre la traite des enfants."
            ),
            (
                "Organiser un colloque international de partage d'expériences et de recherche de "
                "complémentarité."
            ),
            (
                "Renforcer les capacités des acteurs des Ministères techniques, des collectivités "
                "territoriales, de la société civile et du secteur privé visant à développer chez eux "
                "l'expertise nécessaire pour mener la lutte contre la traite des personnes, notamment "
                "la lutte contre la traite des enfants, dans leurs milieux respectifs d'intervention."
            ),
            (
                "Doter les Comités Nationaux (CNS, CIM, CNLTP) d'appui pour la mise en œuvre d'un plan "
                "d'action de lutte contre la traite des personnes, (y compris le plan d'action national "
                "de lutte contre la traite 2021-2025 en attente), notamment la lutte contre la traite "
                "des enfants."
            ),
            (
                "Soutenir la réactivation des protocoles d'accord intergouvernementaux sur la traite "
                "avec les pays voisins de la région."
            ),
            (
                "Apporter un soutien à la mise en œuvre d'un système national complet de collecte de "
                "données sur la traite des enfants."
            ),
        ],
        # Annex A, « Indicateurs illustratifs », l. 347–350 (4 bullets).
        "indicators": [
            "Nombre de réunions réalisées par le comité de coordination des OSC",
            "Adoption du plan de pérennisation des actions du Partenariat CPC",
            (
                "Nombre de mesures prises par le Gouvernement pour donner à la lutte contre la traite "
                "des personnes un statut de priorité"
            ),
            "Nombre de nouvelles méthodes ou améliorées de partage et de collecte de données adoptées.",
        ],
    },
]

# -- signatories (signature block, l. 200–234), exactly as signed --------------------------------------
# "party" is Party.Kind; "organisation" a key of ORGANISATIONS; "on_behalf_of" follows « Pour le … ».
SIGNATORIES: list[dict[str, Any]] = [
    {
        # l. 202–210
        "party": "united_states",
        "name": "Joann M. Lockard",
        "title": "Chargé d'Affaires de l'Ambassade des États-Unis d'Amérique en Côte d'Ivoire",
        "on_behalf_of": "Gouvernement des Etats-Unis d'Amérique",
        "organisation": "embassy",
    },
    {
        # l. 212–222
        "party": "partner_country",
        "name": "Me Adama KAMARA",
        "title": (
            "Ministre de l'Emploi et de la Protection Sociale, Président du Comité Interministériel de "
            "Lutte contre la Traite, l'Exploitation et le Travail des Enfants (CIM)"
        ),
        "on_behalf_of": "Gouvernement de la République de Côte d'Ivoire",
        "organisation": "ministere_emploi",
    },
    {
        # l. 224–234: signs for the CNS, on the side of the Côte d'Ivoire party.
        "party": "partner_country",
        "name": "Madame Dominique OUATTARA",
        "title": (
            "Première Dame, Présidente du Comité National de Surveillance des Actions de Lutte contre la "
            "Traite, l'Exploitation et le Travail des Enfants (CNS)"
        ),
        "on_behalf_of": (
            "Comité National de Surveillance des Actions de Lutte contre la Traite, l'Exploitation et le "
            "Travail des Enfants (CNS)"
        ),
        "organisation": "cns",
    },
]

# -- commitments (section VII) -----------------------------------------------------------------------
# VII.A, l. 130 and 132: up to USD 10 million, subject to the availability of funds.
CEILING_AMOUNT = Decimal("10000000.00")
CEILING_CURRENCY = "USD"
CEILING_DESCRIPTION = (
    "Le Gouvernement des États-Unis d'Amérique, par le biais du Bureau TIP, et sous réserve de la "
    "disponibilité des fonds nécessaires, entend apporter jusqu'à 10 millions de dollars des "
    "États-Unis d'aide extérieure américaine à des organisations non gouvernementales (ONG) "
    "nationales et/ou internationales qui sont censées collaborer avec les différents Ministères "
    "ivoiriens concernés, pour appuyer la mise en œuvre des activités qui contribueront à "
    "l'atteinte du but et des objectifs inclus dans la Section II et dans le plan de mise en œuvre "
    "ci-joint (Annexe A)."
    "\n\n"
    "Le Bureau TIP prévoit de choisir le(s) partenaire(s) d'exécution de la société civile par le "
    "biais d'un processus d'appel d'offres concurrentiel après la signature du présent partenariat "
    "relatif au CPC, et de faciliter la communication et la coordination entre le(s) partenaire(s) "
    "d'exécution de la société civile et les Ministères ivoiriens participants."
)

# VII.B, l. 134–138: « La Côte d'Ivoire, par le biais du CNS, et en collaboration avec le CIM et le CNLTP,
# entend » … — each contribution in kind, quoted from the seed (one commitment each).
IN_KIND = [
    (
        "apporter son expertise dans la mise en œuvre du plan de mise en œuvre conjoint du Présent "
        "partenariat CPC"
    ),
    (
        "coordonner, suivre et évaluer les actions à travers des visites de terrain, des réunions "
        "périodiques et des rapports de mise en œuvre des activités"
    ),
    "mettre son personnel à disposition pour participer aux activités du CPC",
    (
        "encourager la collaboration et faciliter l'accès entre les organismes publics à des fins de "
        "coordination et de réunions"
    ),
    "échanger les informations avec le Bureau TIP",
    (
        "collaborer avec la société civile, notamment le(s) partenaire(s) d'exécution de la société "
        "civile, pour appuyer le but et les objectifs décrits dans la Section II du présent Partenariat "
        "relatif au CPC"
    ),
    (
        "pérenniser les améliorations systémiques réalisées par le biais de ces efforts conjoints après "
        "que le présent partenariat relatif au CPC ait pris fin."
    ),
]

# -- focal points (section VIII, l. 144–175) ---------------------------------------------------------
# "name" as written (bold markers removed). The seed's « 1^{er} » and « 8^{ème} » are the scan's
# superscripts, written « 1er » and « 8ème ». « Bureau : » is an office telephone for the CNS and the
# Ministère de l'Emploi, an office address for the two others.
FAMILLE_WEBSITE_NOTE = (
    "Le texte signé donne www.famille.gouv.ci comme adresse électronique ; c'est l'adresse d'un site web."
)
FOCAL_POINTS: list[dict[str, Any]] = [
    # « Points Focaux pour les Etats Unis d'Amérique », l. 144–149.
    {
        "party": "united_states",
        "organisation": "tip_office",
        "name": (
            "Le Bureau de Surveillance et de Lutte contre la Traite des Personnes du Département d'Etat "
            "des Etats Unis d'Amérique / JTIP"
        ),
        "email": "JTIPGrants@state.gov",
    },
    {
        "party": "united_states",
        "organisation": "embassy",
        "name": "L'Ambassade des États-Unis d'Amérique en Côte d'Ivoire",
        "email": "abidjan_polecon_all@state.gov",
    },
    # « Points Focaux pour la Côte d'Ivoire », l. 151–175.
    {
        "party": "partner_country",
        "organisation": "cns",
        "name": (
            "Le Cabinet de la Première Dame / Le Comité National de Surveillance des Actions de Lutte "
            "contre la Traite, l'Exploitation et le Travail des Enfants (CNS)"
        ),
        "phone": "+225 27 22 48 03 03",
        "email": "cns@1eredame.ci",
    },
    {
        "party": "partner_country",
        "organisation": "ministere_solidarite",
        "name": (
            "Le Ministère de la Solidarité et de la Lutte contre la Pauvreté / Le Comité National de "
            "Lutte contre la Traite des Personnes (CNLTP)"
        ),
        "address": "1er Etage Tour B Abidjan Plateau",
        "phone": "+225 27 20 23 91 75 / +225 27 20 23 91 80",
        "email": "mstp@solidarite.gouv.ci",
    },
    {
        "party": "partner_country",
        "organisation": "ministere_emploi",
        "name": (
            "Le Ministère de l'Emploi et de la Protection Sociale / Le Comité Interministériel de Lutte "
            "contre la Traite, l'Exploitation et le Travail des Enfants (CIM)"
        ),
        "phone": "+225 27 22 52 33 83",
    },
    {
        # l. 167–175. « Adresse électronique : www.famille.gouv.ci » is a website, not an e-mail address.
        "party": "partner_country",
        "organisation": "ministere_femme",
        "name": (
            "Ministère de la Femme, de la Famille et de l'Enfant / Le Comité Interministériel de Lutte "
            "contre la Traite, l'Exploitation et le Travail des Enfants (CIM)"
        ),
        "address": "8ème étage Tour B Abidjan Plateau",
        "phone": "+225 27 20 21 77 02/27 20 32 42 33",
        "fax": "+225 27 20 21 44 61",
        "website": "www.famille.gouv.ci",
        "notes": FAMILLE_WEBSITE_NOTE,
    },
]

# -- monitoring and evaluation committee (section V.D, l. 116–120) ---------------------------------
# « dès la signature »: established on the date of signature.
COMMITTEE_ESTABLISHED_ON = SIGNATURE_DATE
COMMITTEE_MANDATE = (
    "Les Parties conviennent, dès la signature du présent Partenariat CPC, de mettre en place un comité "
    "de suivi et d'évaluation qui aura pour mission de faire le suivi de sa mise en œuvre. Ledit comité "
    "sera composé des représentants des deux Parties et des représentants des partenaires d'exécution "
    "du plan opérationnel."
)

# -- demo organisations -----------------------------------------------------------------------------
# "key" is how this module refers to an organisation; "name" (unique) is how load_demo finds it again.
# "participation" is the role on the demo compact, with the party it acts for; None: not participating.
# The bodies are those the seed names (preamble l. 38, section V.B, focal points); those marked
# « démo » / « démonstration » are fictitious.
ORGANISATIONS: list[dict[str, Any]] = [
    {
        "key": "tip_office",
        "name": "Bureau de Surveillance et de Lutte contre la Traite des Personnes du Département d'État",
        "acronym": "J/TIP",
        "org_type": "donor_office",
        "country": "USA",
        "participation": ("party_body", "united_states"),
    },
    {
        # Acts for the United States party: its Chargé d'Affaires signed, and it is a US focal point.
        "key": "embassy",
        "name": "Ambassade des États-Unis d'Amérique en Côte d'Ivoire",
        "acronym": "",
        "org_type": "donor_office",
        "country": "USA",
        "participation": ("party_body", "united_states"),
    },
    {
        "key": "cns",
        "name": (
            "Comité National de Surveillance des Actions de Lutte contre la Traite, l'Exploitation et le "
            "Travail des Enfants"
        ),
        "acronym": "CNS",
        "org_type": "partner_government",
        "country": "CIV",
        "participation": ("party_body", "partner_country"),
    },
    {
        "key": "cim",
        "name": "Comité Interministériel de Lutte contre la Traite, l'Exploitation et le Travail des Enfants",
        "acronym": "CIM",
        "org_type": "partner_government",
        "country": "CIV",
        "participation": ("party_body", "partner_country"),
    },
    {
        "key": "cnltp",
        "name": "Comité National de Lutte contre la Traite des Personnes",
        "acronym": "CNLTP",
        "org_type": "partner_government",
        "country": "CIV",
        "participation": ("party_body", "partner_country"),
    },
    {
        "key": "ministere_solidarite",
        "name": "Ministère de la Solidarité et de la Lutte contre la Pauvreté",
        "acronym": "",
        "org_type": "partner_government",
        "country": "CIV",
        "participation": ("party_body", "partner_country"),
    },
    {
        "key": "ministere_emploi",
        "name": "Ministère de l'Emploi et de la Protection Sociale",
        "acronym": "",
        "org_type": "partner_government",
        "country": "CIV",
        "participation": ("party_body", "partner_country"),
    },
    {
        "key": "ministere_femme",
        "name": "Ministère de la Femme, de la Famille et de l'Enfant",
        "acronym": "",
        "org_type": "partner_government",
        "country": "CIV",
        "participation": ("party_body", "partner_country"),
    },
    {
        "key": "ngo_demo",
        "name": "ONG Démo Enfance",
        "acronym": "",
        "org_type": "implementing_partner",
        "partner_kind": "ngo",
        "country": "CIV",
        "participation": ("implementing_partner", None),
    },
    {
        "key": "io_demo",
        "name": "Organisation internationale de démonstration",
        "acronym": "",
        "org_type": "implementing_partner",
        "partner_kind": "international_organisation",
        "country": "",
        "participation": ("implementing_partner", None),
    },
    {
        "key": "provider_demo",
        "name": "Centre d'accueil de démonstration",
        "acronym": "",
        "org_type": "service_provider",
        "country": "CIV",
        "participation": ("observer", None),
    },
    {
        # Named in Annex A (prosecution pillar). Not a participant of the demo compact.
        "key": "sdltetdj",
        "name": (
            "Sous-Direction de la Police Criminelle chargée de la lutte contre le Trafic d'Enfants et la "
            "Délinquance Juvénile"
        ),
        "acronym": "SDLTETDJ",
        "org_type": "justice_police",
        "country": "CIV",
        "participation": None,
    },
    {
        # Takes no part in the demo compact: its user shows what an outsider cannot see.
        "key": "unrelated_demo",
        "name": "Association sans lien (démo)",
        "acronym": "",
        "org_type": "implementing_partner",
        "partner_kind": "ngo",
        "country": "CIV",
        "participation": None,
    },
]

# -- demo users: one per role, all fictitious, all with DEMO_PASSWORD ----------------------------------
# "role" is the Membership role on the demo compact (None: no role). ``admin`` is a site administrator:
# the two-factor middleware makes them set up a TOTP app at first login.
USERS: list[dict[str, Any]] = [
    {
        "username": "officer",
        "first_name": "Claire",
        "last_name": "Martin",
        "job_title": "Chargée de programme (démo)",
        "organisation": "tip_office",
        "role": "programme_officer",
    },
    {
        "username": "focal",
        "first_name": "Aya",
        "last_name": "Kouassi",
        "job_title": "Point focal gouvernemental (démo)",
        "organisation": "cns",
        "role": "government_focal_point",
    },
    {
        "username": "partner",
        "first_name": "Koffi",
        "last_name": "Yao",
        "job_title": "Chef de projet (démo)",
        "organisation": "ngo_demo",
        "role": "implementing_partner",
    },
    {
        "username": "committee",
        "first_name": "Mariam",
        "last_name": "Traoré",
        "job_title": "Membre du comité de suivi et d'évaluation (démo)",
        "organisation": "cim",
        "role": "monitoring_committee_member",
    },
    {
        "username": "viewer",
        "first_name": "Jean",
        "last_name": "Kouadio",
        "job_title": "Travailleur social (démo)",
        "organisation": "provider_demo",
        "role": "viewer",
    },
    {
        "username": "outsider",
        "first_name": "Fatou",
        "last_name": "Diallo",
        "job_title": "Chargée de plaidoyer (démo)",
        "organisation": "unrelated_demo",
        "role": None,
    },
    {
        "username": "admin",
        "first_name": "Adèle",
        "last_name": "Admin",
        "job_title": "Administratrice du site (démo)",
        "organisation": None,
        "role": None,
        "is_superuser": True,
    },
]
DEMO_EMAIL_DOMAIN = "example.org"
