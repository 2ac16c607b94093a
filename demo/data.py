"""The fictional preschool that ``manage.py seed_demo`` loads: its people and the wording of a year
of records.

Everything here is invented. The setting is not the one whose policy Confide follows, and no name
belongs to a real member of its staff or a real family. Phone numbers are in Ofcom's ranges kept for
drama (01632 960xxx, 07700 900xxx) and e-mail addresses use the reserved ``.example`` domain.

Texts are ``str.format`` templates: ``{name}`` is the child's first name and ``{he}``, ``{him}``,
``{his}``, ``{He}``, ``{His}`` are the child's pronouns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from records.models import Category, InformedHow, Level, Relationship, Role

DOMAIN = "brambleford-preschool.example"
DEMO_ICO_NUMBER = "ZA000000"
SEED = 20_250_901

SETTING = {
    "name": "Brambleford Community Preschool",
    "address": "Old School Hall, 12 Kestrel Lane, Brambleford, ZX1 4BQ",
    "ico_registration_number": DEMO_ICO_NUMBER,
    "data_protection_contact": "Helen Marsh, Lead Practitioner (data protection lead)",
    "data_protection_email": f"privacy@{DOMAIN}",
    "data_protection_phone": "01632 960100",
    "opened_on": date(2009, 9, 1),
}

# The demo is a group of two settings on one deployment (README: settings of a group). The
# second's accounts are the first's usernames with SECOND_SUFFIX; its people and families have
# names of their own, so nothing of one setting is mistaken for the other's.
GROUP_NAME = "Kestrel Valley Early Years Group"
DEMO_ICO_NUMBER_B = "ZA000001"
SECOND_SUFFIX = "-b"
SETTING_B = {
    "name": "Hollowmere Day Nursery",
    "address": "The Barn, 3 Mill Race Road, Hollowmere, ZX2 7LP",
    "ico_registration_number": DEMO_ICO_NUMBER_B,
    "data_protection_contact": "Nadia Brook, Lead Practitioner (data protection lead)",
    "data_protection_email": "privacy@hollowmere-nursery.example",
    "data_protection_phone": "01632 960200",
    "opened_on": date(2014, 1, 6),
}
STAFF_NAMES_B = {
    "lead": "Nadia Brook",
    "deputy": "Owen Pryce",
    "keyperson1": "Lena Fischer",
    "keyperson2": "Marcus Bell",
    "practitioner": "Chloe Adebayo",
    "office": "Rita Sandoval",
    "keyperson3": "Hannah Quinlan",
    "keyperson4": "Idris Karim",
    "keyperson5": "Freya Lindqvist",
    "keyperson6": "Tobias Wren",
    "chair": "Ewan Rossiter",
    "trustee": "Kirsty Almond",
}
# Family names of the second setting, in the order of FAMILIES (the first setting's).
FAMILY_NAMES_B = [
    "Ashdown",
    "Barraclough",
    "Cavendish",
    "Dunmore",
    "Ellery",
    "Fairweather",
    "Galloway",
    "Hartigan",
    "Ingleby",
    "Jessop",
    "Kilbride",
    "Lockwood",
    "Mayhew",
    "Northcott",
    "Oakridge",
    "Penhaligon",
    "Quarrie",
    "Rosswell",
    "Stanbury",
    "Thornley",
    "Underhill",
    "Vickery",
    "Wetherby",
    "Yardley",
    "Alderton",
    "Blakemore",
    "Colbourne",
    "Dewhurst",
    "Elsworth",
    "Farrington",
    "Greenhalgh",
]
# Two people of the group: one works in both settings with a different role in each (bank
# staff), one holds the group's safeguarding-lead role (counts across settings, no content).
BANK_USERNAME = "bank"
BANK_FULL_NAME = "Sam Okonkwo-Hale"
GROUP_USERNAME = "group"

ROOMS = [
    ("Ladybirds", "Two- to three-year-olds"),
    ("Dragonflies", "Three- to four-year-olds"),
    ("Kingfishers", "Pre-school: rising fives"),
]


@dataclass(frozen=True)
class StaffSpec:
    username: str
    full_name: str
    role: str
    job_title: str
    rooms: tuple[str, ...] = ()
    years_in_post: int = 3


STAFF = [
    StaffSpec(
        "lead",
        "Helen Marsh",
        Role.LEAD,
        "Lead Practitioner and Designated Safeguarding Lead",
        (),
        9,
    ),
    StaffSpec(
        "deputy",
        "Ravi Desai",
        Role.DEPUTY,
        "Deputy Lead Practitioner and Deputy Safeguarding Lead",
        ("Kingfishers",),
        6,
    ),
    StaffSpec(
        "keyperson1",
        "Amelia Hart",
        Role.PRACTITIONER,
        "Early Years Practitioner (Level 3)",
        ("Ladybirds",),
        4,
    ),
    StaffSpec(
        "keyperson2",
        "Tomasz Nowak",
        Role.PRACTITIONER,
        "Early Years Practitioner (Level 3)",
        ("Dragonflies",),
        5,
    ),
    StaffSpec(
        "practitioner",
        "Grace Okafor",
        Role.PRACTITIONER,
        "Apprentice Early Years Practitioner",
        ("Ladybirds",),
        1,
    ),
    StaffSpec("office", "Julie Brennan", Role.OFFICE, "Administrator", (), 7),
    StaffSpec(
        "keyperson3",
        "Sophie Clarke",
        Role.PRACTITIONER,
        "Early Years Practitioner (Level 3)",
        ("Ladybirds",),
        3,
    ),
    StaffSpec(
        "keyperson4",
        "Daniel Hughes",
        Role.PRACTITIONER,
        "Early Years Practitioner (Level 2)",
        ("Dragonflies",),
        2,
    ),
    StaffSpec(
        "keyperson5", "Priya Shah", Role.PRACTITIONER, "Early Years Teacher", ("Kingfishers",), 4
    ),
    StaffSpec(
        "keyperson6",
        "Bethan Lloyd",
        Role.PRACTITIONER,
        "SENCo and Early Years Practitioner",
        ("Kingfishers",),
        8,
    ),
    # The trustees (the setting is a charity run by its committee): governance, no children.
    StaffSpec("chair", "Peter Lindgren", Role.CHAIR, "Chair of trustees", (), 4),
    StaffSpec(
        "trustee", "Fiona McAllister", Role.SAFEGUARDING_TRUSTEE, "Safeguarding trustee", (), 2
    ),
]
IT_ADMIN_USERNAME = "itadmin"
DEMO_USERNAMES = (
    [s.username for s in STAFF]
    + [s.username + SECOND_SUFFIX for s in STAFF]
    + [IT_ADMIN_USERNAME, BANK_USERNAME, GROUP_USERNAME]
)


@dataclass(frozen=True)
class CarerSpec:
    full_name: str
    relationship: str
    parental_responsibility: bool
    phone: str = ""
    email: str = ""
    court_order: str = ""
    lives_elsewhere: bool = False


@dataclass(frozen=True)
class ChildSpec:
    first_name: str
    pronoun: str  # "he" or "she"
    room: str
    key_person: str  # a username
    age_months: int
    started_days_ago: int
    story: str = ""
    left_days_ago: int | None = None
    last_name: str = ""  # the family's name unless given


@dataclass(frozen=True)
class FamilySpec:
    name: str
    address: str
    home_language: str
    carers: tuple[CarerSpec, ...]
    children: tuple[ChildSpec, ...] = field(default=())


def _phone(n: int) -> str:
    return f"07700 900{n:03d}"


def _mail(local: str) -> str:
    return f"{local}@example.com"


M, F = Relationship.MOTHER, Relationship.FATHER

FAMILIES = [
    FamilySpec(
        "Thompson",
        "14 Orchard Close, Brambleford, ZX1 4DP",
        "English",
        (
            CarerSpec("Laura Thompson", M, True, _phone(101), _mail("laura.thompson")),
            CarerSpec(
                "Gary Thompson",
                F,
                True,
                _phone(102),
                _mail("gary.t"),
                court_order=(
                    "Prohibited steps order (Family Court): Gary Thompson must not remove Maya or "
                    "Finn from the setting and may not collect them. He keeps parental "
                    "responsibility and may be sent general progress reports. If he arrives to "
                    "collect: keep the children in the room, call Laura Thompson, then the police "
                    "non-emergency line as the order directs. Copy of the order in the office safe."
                ),
                lives_elsewhere=True,
            ),
        ),
        (
            ChildSpec("Maya", "she", "Ladybirds", "keyperson1", 33, 330, story="court_order"),
            ChildSpec("Finn", "he", "Kingfishers", "keyperson5", 57, 690, story="court_order_sib"),
        ),
    ),
    FamilySpec(
        "Okonkwo",
        "3 Millers Row, Brambleford, ZX1 2LT",
        "English and Igbo",
        (
            CarerSpec("Ngozi Okonkwo", M, True, _phone(103), _mail("ngozi.okonkwo")),
            CarerSpec("Emeka Okonkwo", F, True, _phone(104), _mail("emeka.okonkwo")),
        ),
        (ChildSpec("Chidi", "he", "Ladybirds", "keyperson1", 35, 360, story="speech"),),
    ),
    FamilySpec(
        "Fraser",
        "27 Heron Way, Brambleford, ZX1 5QA",
        "English",
        (
            CarerSpec("Kirsty Fraser", M, True, _phone(105), _mail("kirsty.fraser")),
            CarerSpec(
                "Moira Fraser",
                Relationship.GRANDPARENT,
                False,
                "01632 960215",
                "",
                lives_elsewhere=True,
            ),
        ),
        (ChildSpec("Isla", "she", "Ladybirds", "keyperson1", 30, 240),),
    ),
    FamilySpec(
        "Kowalczyk",
        "Flat 2, 9 Station Road, Brambleford, ZX1 1AF",
        "Polish and English",
        (
            CarerSpec("Anna Kowalczyk", M, True, _phone(106), _mail("anna.kowalczyk")),
            CarerSpec("Piotr Kowalczyk", F, True, _phone(107), ""),
        ),
        (ChildSpec("Zofia", "she", "Ladybirds", "keyperson1", 28, 180),),
    ),
    FamilySpec(
        "Ahmed",
        "41 Linden Avenue, Brambleford, ZX1 3HS",
        "Urdu and English",
        (
            CarerSpec("Farah Ahmed", M, True, _phone(108), _mail("farah.ahmed")),
            CarerSpec("Imran Ahmed", F, True, _phone(109), _mail("imran.ahmed")),
        ),
        (ChildSpec("Yusuf", "he", "Ladybirds", "keyperson1", 25, 40, story="settling"),),
    ),
    FamilySpec(
        "Price",
        "8 Coppice Court, Brambleford, ZX1 6RN",
        "English",
        (CarerSpec("Danielle Price", M, True, _phone(110), _mail("dani.price")),),
        (ChildSpec("Ruby", "she", "Ladybirds", "keyperson1", 34, 300, story="hardship"),),
    ),
    FamilySpec(
        "Evans",
        "2 Church Lane, Brambleford, ZX1 2PD",
        "English and Welsh",
        (
            CarerSpec("Sian Evans", M, True, _phone(111), _mail("sian.evans")),
            CarerSpec("Rhys Evans", F, True, _phone(112), _mail("rhys.evans")),
        ),
        (ChildSpec("Alfie", "he", "Ladybirds", "keyperson3", 31, 260),),
    ),
    FamilySpec(
        "Patel",
        "19 Meadow View, Brambleford, ZX1 5HB",
        "Gujarati and English",
        (
            CarerSpec("Meera Patel", M, True, _phone(113), _mail("meera.patel")),
            CarerSpec("Nikhil Patel", F, True, _phone(114), _mail("nikhil.patel")),
        ),
        (ChildSpec("Anaya", "she", "Ladybirds", "keyperson3", 29, 200),),
    ),
    FamilySpec(
        "Walker",
        "66 Foundry Street, Brambleford, ZX1 1GW",
        "English",
        (
            CarerSpec("Jade Walker", M, True, _phone(115), _mail("jade.walker")),
            CarerSpec("Connor Walker", F, True, _phone(116), ""),
        ),
        (ChildSpec("Oscar", "he", "Ladybirds", "keyperson3", 27, 150, story="biting"),),
    ),
    FamilySpec(
        "Mensah",
        "5 Larch Close, Brambleford, ZX1 4EE",
        "English and Twi",
        (
            CarerSpec("Abena Mensah", M, True, _phone(117), _mail("abena.mensah")),
            CarerSpec("Kofi Mensah", F, True, _phone(118), _mail("kofi.mensah")),
        ),
        (ChildSpec("Esi", "she", "Ladybirds", "keyperson3", 32, 300),),
    ),
    FamilySpec(
        "Walsh",
        "23 Beacon Road, Brambleford, ZX1 7TT",
        "English",
        (
            CarerSpec("Kerry Walsh", M, True, _phone(119), _mail("kerry.walsh")),
            CarerSpec("Dean Walsh", F, True, _phone(120), "", lives_elsewhere=True),
            CarerSpec("Brenda Walsh", Relationship.GRANDPARENT, False, "01632 960233", ""),
        ),
        (ChildSpec("Leo", "he", "Dragonflies", "keyperson2", 44, 420, story="child_protection"),),
    ),
    FamilySpec(
        "Robinson",
        "10 Willow Crescent, Brambleford, ZX1 3JN",
        "English",
        (
            CarerSpec("Hannah Robinson", M, True, _phone(121), _mail("hannah.robinson")),
            CarerSpec("Mark Robinson", F, True, _phone(122), _mail("mark.robinson")),
        ),
        (ChildSpec("Ava", "she", "Dragonflies", "keyperson2", 46, 500),),
    ),
    FamilySpec(
        "Cole (foster placement)",
        "31 Hawthorn Drive, Brambleford, ZX1 6AB (foster carers' home)",
        "English",
        (
            CarerSpec(
                "Sandra Bennett", Relationship.FOSTER_CARER, False, _phone(123), _mail("s.bennett")
            ),
            CarerSpec("Paul Bennett", Relationship.FOSTER_CARER, False, _phone(124), ""),
            CarerSpec(
                "Chantelle Cole",
                M,
                True,
                "",
                "",
                court_order=(
                    "Interim care order: the local authority shares parental responsibility. "
                    "Contact with Jayden only as arranged and supervised by the local authority, "
                    "never at the setting. Chantelle Cole must not collect Jayden and must not be "
                    "told the foster carers' address or Jayden's routine. Any contact from her: "
                    "tell the social worker the same day."
                ),
                lives_elsewhere=True,
            ),
        ),
        (
            ChildSpec(
                "Jayden",
                "he",
                "Dragonflies",
                "keyperson2",
                41,
                340,
                story="looked_after",
                last_name="Cole",
            ),
        ),
    ),
    FamilySpec(
        "Haddad",
        "7 Poplar Mews, Brambleford, ZX1 2WS",
        "Arabic and English",
        (
            CarerSpec("Rania Haddad", M, True, _phone(125), _mail("rania.haddad")),
            CarerSpec("Omar Haddad", F, True, _phone(126), _mail("omar.haddad")),
        ),
        (ChildSpec("Layla", "she", "Dragonflies", "keyperson2", 40, 380),),
    ),
    FamilySpec(
        "Murphy",
        "52 Quarry Lane, Brambleford, ZX1 8LP",
        "English",
        (
            CarerSpec("Claire Murphy", M, True, _phone(127), _mail("claire.murphy")),
            CarerSpec("Sean Murphy", F, True, _phone(128), _mail("sean.murphy")),
        ),
        (ChildSpec("Theo", "he", "Dragonflies", "keyperson2", 43, 450, story="bereavement"),),
    ),
    FamilySpec(
        "Singh",
        "15 Elm Grove, Brambleford, ZX1 3QR",
        "Punjabi and English",
        (
            CarerSpec("Harpreet Kaur", M, True, _phone(129), _mail("harpreet.kaur")),
            CarerSpec("Jaspreet Singh", F, True, _phone(130), _mail("jaspreet.singh")),
        ),
        (ChildSpec("Arjun", "he", "Dragonflies", "keyperson2", 38, 330),),
    ),
    FamilySpec(
        "Green",
        "4 Kiln Yard, Brambleford, ZX1 9DF",
        "English",
        (
            CarerSpec("Stacey Green", M, True, _phone(131), _mail("stacey.green")),
            CarerSpec(
                "Ryan Hale",
                Relationship.OTHER,
                False,
                _phone(132),
                "",
                court_order=(
                    "Non-molestation order (Family Court) protecting Stacey Green: Ryan Hale (her "
                    "former partner) must not come to the family home or contact her. Removed "
                    "from Poppy's collection list at Stacey's request. If he attends: do not "
                    "release Poppy, call 999, then the Lead."
                ),
                lives_elsewhere=True,
            ),
        ),
        (
            # She left for school this week: her child-protection file is on its way there.
            ChildSpec(
                "Poppy",
                "she",
                "Dragonflies",
                "keyperson4",
                42,
                400,
                story="domestic_abuse",
                left_days_ago=2,
            ),
        ),
    ),
    FamilySpec(
        "Ali",
        "36 Fern Street, Brambleford, ZX1 1RM",
        "Somali and English",
        (
            CarerSpec("Sana Ali", M, True, _phone(133), _mail("sana.ali")),
            CarerSpec("Hassan Ali", F, True, _phone(134), ""),
        ),
        (ChildSpec("Zainab", "she", "Dragonflies", "keyperson4", 37, 250),),
    ),
    FamilySpec(
        "Morgan",
        "11 Bridge End, Brambleford, ZX1 5NN",
        "English",
        (
            CarerSpec("Emma Morgan", M, True, _phone(135), _mail("emma.morgan")),
            CarerSpec("Chris Morgan", F, True, _phone(136), _mail("chris.morgan")),
            CarerSpec("Pat Morgan", Relationship.GRANDPARENT, False, "01632 960247", ""),
        ),
        (ChildSpec("Harry", "he", "Dragonflies", "keyperson4", 45, 520),),
    ),
    FamilySpec(
        "Wright",
        "9 Sorrel Gardens, Brambleford, ZX1 4KJ",
        "English",
        (
            CarerSpec("Natalie Wright", M, True, _phone(137), _mail("natalie.wright")),
            CarerSpec("Ben Wright", F, True, _phone(138), _mail("ben.wright")),
        ),
        (ChildSpec("Lily", "she", "Dragonflies", "keyperson4", 39, 310, story="working_away"),),
    ),
    FamilySpec(
        "Begum",
        "20 Cedar Road, Brambleford, ZX1 7BH",
        "Bengali and English",
        (
            CarerSpec("Rukhsana Begum", M, True, _phone(139), _mail("rukhsana.begum")),
            CarerSpec("Shahid Miah", F, True, _phone(140), _mail("shahid.miah")),
        ),
        (ChildSpec("Amira", "she", "Kingfishers", "keyperson5", 53, 640, story="new_baby"),),
    ),
    FamilySpec(
        "Kelly",
        "Flat 6, Mill House, Brambleford, ZX1 1PP",
        "English",
        (
            CarerSpec("Lisa Kelly", M, True, _phone(141), _mail("lisa.kelly")),
            CarerSpec(
                "Jenny Kelly",
                Relationship.GUARDIAN,
                True,
                _phone(142),
                "",
                lives_elsewhere=True,
            ),
        ),
        (ChildSpec("Jack", "he", "Kingfishers", "keyperson5", 55, 660),),
    ),
    FamilySpec(
        "Adeyemi",
        "17 Rowan Way, Brambleford, ZX1 6GG",
        "Yoruba and English",
        (
            CarerSpec("Funmi Adeyemi", M, True, _phone(143), _mail("funmi.adeyemi")),
            CarerSpec("Segun Adeyemi", F, True, _phone(144), _mail("segun.adeyemi")),
        ),
        (ChildSpec("Tobi", "he", "Kingfishers", "keyperson5", 50, 600),),
    ),
    FamilySpec(
        "Cooper",
        "28 Vicarage Lane, Brambleford, ZX1 3CC",
        "English",
        (
            CarerSpec("Rachel Cooper", M, True, _phone(145), _mail("rachel.cooper")),
            CarerSpec("Tom Cooper", F, True, _phone(146), _mail("tom.cooper")),
        ),
        (
            ChildSpec(
                "Freya",
                "she",
                "Kingfishers",
                "keyperson5",
                58,
                700,
                story="leaver",
                left_days_ago=100,
            ),
        ),
    ),
    FamilySpec(
        "Davies",
        "3 Harbour Terrace, Brambleford, ZX1 8WE",
        "English",
        (
            CarerSpec("Ceri Davies", M, True, _phone(147), _mail("ceri.davies")),
            CarerSpec("Gareth Davies", F, True, _phone(148), _mail("gareth.davies")),
        ),
        (ChildSpec("Megan", "she", "Kingfishers", "keyperson6", 52, 620),),
    ),
    FamilySpec(
        "Chen",
        "44 Lark Rise, Brambleford, ZX1 5TY",
        "Mandarin and English",
        (
            CarerSpec("Mei Chen", M, True, _phone(149), _mail("mei.chen")),
            CarerSpec("Wei Chen", F, True, _phone(150), _mail("wei.chen")),
        ),
        (ChildSpec("Ethan", "he", "Kingfishers", "keyperson6", 49, 580),),
    ),
    FamilySpec(
        "Lewis",
        "6 Oakfield Road, Brambleford, ZX1 2YU",
        "English",
        (
            CarerSpec("Joanne Lewis", M, True, _phone(151), _mail("joanne.lewis")),
            CarerSpec("Steve Lewis", F, True, _phone(152), _mail("steve.lewis")),
        ),
        (ChildSpec("Max", "he", "Kingfishers", "keyperson6", 54, 650, story="send"),),
    ),
    FamilySpec(
        "Popescu",
        "13 Bramble Walk, Brambleford, ZX1 4MX",
        "Romanian and English",
        (
            CarerSpec("Elena Popescu", M, True, _phone(153), _mail("elena.popescu")),
            CarerSpec("Andrei Popescu", F, True, _phone(154), ""),
        ),
        (ChildSpec("Sofia", "she", "Kingfishers", "keyperson6", 51, 560),),
    ),
    FamilySpec(
        "Ward",
        "Room 4, Riverside House (temporary accommodation), Brambleford, ZX1 9AA",
        "English",
        (CarerSpec("Kayleigh Ward", M, True, _phone(155), _mail("kayleigh.ward")),),
        (ChildSpec("George", "he", "Kingfishers", "keyperson6", 56, 630, story="housing"),),
    ),
]

PRONOUNS = {
    "he": {"he": "he", "him": "him", "his": "his", "He": "He", "His": "His"},
    "she": {"he": "she", "him": "her", "his": "her", "He": "She", "His": "Her"},
}

# --- everyday wording -----------------------------------------------------------------------------

GENERAL_COMMON = [
    "{name} joined in with 'Five Little Ducks' at carpet time, holding up fingers to count down. "
    "Next step: count objects to five, touching each one.",
    "Settled quickly at drop-off and waved goodbye at the window before going to the playdough.",
    "{name} used the big tweezers to move pom-poms between pots for ten minutes: lovely "
    "concentration and fine-motor control.",
    "Built a ramp in the garden with the guttering and tested which cars went furthest. {He} "
    "said 'the big one goes fastest!'",
    "Ate all of {his} lunch and tried the lentil curry for the first time.",
    "Played alongside two friends in the home corner, taking turns with the teapot after a "
    "reminder.",
    "Mark-making at the easel: {name} made big circles and lines and said 'that's my house'.",
    "Climbed to the top of the climbing frame and came down the ladder carefully, facing the rungs.",
    "Looked at a snail in the garden with the magnifying glass and asked 'where is its house?'",
    "Put on {his} own coat using the flip method and managed the zip once an adult started it.",
    "Helped to tidy the block area and sorted the blocks by size without being asked.",
    "Listened to 'We're Going on a Bear Hunt' and joined in with the repeated words and actions.",
    "Rode the balance bike around the track, steering round the cones and stopping at the 'lights'.",
    "Shared the sand-tray spades with a younger child without a prompt. Praised for kind sharing.",
    "Counted out plates for snack time, 'one for you, one for me', and got to six.",
    "Chose blue paint and printed with leaves from the garden; talked about the shapes and veins.",
    "Danced to the parachute music and went under the parachute when {his} name was called.",
    "Planted cress seeds with a friend and checked them every morning; noticed the first shoots.",
    "Played a long pretend game at the vet's, bandaging the toy dog and writing a 'prescription'.",
    "Washed {his} hands before snack without reminders and told a friend 'get the bubbles off'.",
    "Made a tower of ten bricks and counted them with help; knocked it down and laughed.",
    "Explored the water tray with funnels and jugs, pouring carefully from one to another.",
    "{name} recognised the first letter of {his} name on the peg labels and found {his} own peg.",
    "Sang 'Twinkle Twinkle' at the top of {his} voice at tidy-up time and everyone joined in.",
    "Enjoyed the visit from the fire crew; sat in the engine and tried on the helmet.",
    "Threaded large beads onto a lace to make a necklace for {his} grown-up.",
    "Played 'Simon says' outdoors and followed two-part instructions.",
    "Settled well after the holiday break and told us about {his} trip to the farm.",
]

GENERAL_BY_ROOM = {
    "Ladybirds": [
        "Slept for 40 minutes after lunch and woke happily; had a cuddle then went to the books.",
        "Toilet training is going well: dry all session and asked for the toilet twice.",
        "Two-year progress check discussed with parent: on track in physical development and "
        "personal, social and emotional development; some support with new words.",
        "Used two-word phrases at snack today: 'more milk', 'banana gone'.",
        "Explored the sensory tray of cooked spaghetti, squeezing and pulling the strands.",
        "Pointed to pictures in the 'Dear Zoo' flap book and named the lion and the monkey.",
        "Fed {him}self with a spoon at lunch and wiped {his} own mouth.",
    ],
    "Dragonflies": [
        "Took turns in a game of lotto with two friends, waiting for {his} go.",
        "Told a long story about a dragon while painting and asked an adult to write it down.",
        "Used scissors to snip paper strips for the collage, holding them the right way.",
        "Counted the children at carpet time with an adult and said 'eleven!'",
        "Made a 'birthday cake' in the mud kitchen and sang to everyone.",
        "Sorted the farm animals into fields and explained why the pigs went in the mud.",
        "Dressed up as a doctor and 'listened' to friends' hearts with the stethoscope.",
    ],
    "Kingfishers": [
        "Wrote the first three letters of {his} name on {his} picture without a model.",
        "Heard the first sound in 'sun', 'sock' and 'snake' during the phonics game.",
        "Transition visit to the reception class with {his} key person; sat with new classmates at "
        "story time and explored the writing table confidently.",
        "Solved a number problem at snack: 'there are five of us and four apples, we need one more'.",
        "Designed a boat from junk modelling, tested it in the water tray and added more tape.",
        "Took the register folder to the office with a friend and said good morning to everyone.",
        "Read the picture story of 'The Gruffalo' to a small group, remembering the repeated lines.",
        "Put on {his} own shoes and coat for outdoor play and helped a friend with a zip.",
    ],
}

# Everyday accidents, each with the marks on its body map: (part of the body, what was seen).
ACCIDENTS_WITH_MARKS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Bumped head on climbing frame, cold compress applied. No loss of consciousness; monitored "
        "for the rest of the session and playing happily. Head-injury advice sheet given at "
        "collection.",
        [("front:head", "Red bump on the forehead, about 2 cm across")],
    ),
    (
        "Tripped on the step by the garden door and grazed right knee. Cleaned with water and a "
        "plaster applied.",
        [("front:right_lower_leg", "Graze just below the right knee, about 3 cm")],
    ),
    (
        "Caught finger in the role-play cupboard door; small red mark on left index finger. Cold "
        "compress for five minutes; full movement.",
        [("front:left_hand", "Small red mark on the index finger")],
    ),
    (
        "Another child bit {name} on the upper arm in a dispute over a toy; skin not broken. Cold "
        "compress applied. Both families told separately; no names shared.",
        [("front:right_upper_arm", "Bite mark, skin not broken, about 3 cm across")],
    ),
    (
        "Fell from the balance bike onto the grass; small bruise on left shin. Comforted and back "
        "to play within a few minutes.",
        [("front:left_lower_leg", "Small bruise on the shin, about 1 cm")],
    ),
    (
        "Nosebleed during outdoor play, no knock seen. Pinched the soft part of the nose for ten "
        "minutes and it stopped.",
        [],
    ),
    (
        "Slipped on the wet floor by the water tray and bumped elbow; cold compress applied. Water "
        "tray area mopped and the mat put back.",
        [("back:right_forearm", "Red mark on the point of the elbow, no swelling")],
    ),
    (
        "Sand in the eye in the sand pit; eye rinsed with sterile eyewash. Some redness for ten "
        "minutes, then settled.",
        [],
    ),
    (
        "Wasp sting on the back of the hand in the garden. Sting site cleaned and a cold compress "
        "applied; no sign of an allergic reaction, watched for 30 minutes.",
        [("back:left_hand", "Sting site, small red swelling")],
    ),
    (
        "Walked into the edge of the art table and got a small bump above the right eyebrow. Cold "
        "compress applied; no further concern.",
        [("front:head", "Small bump above the right eyebrow")],
    ),
]
ACCIDENTS = [text for text, _ in ACCIDENTS_WITH_MARKS]

EXISTING_INJURY_MARKS = [("front:head", "Graze on the forehead, about 3 cm, scabbing over")]
EXISTING_INJURY = (
    "Arrived with a graze on {his} forehead. Parent explained at drop-off that {name} fell on the "
    "steps at the park at the weekend; account consistent with the injury and with what {name} "
    "said. Recorded on the existing-injury form and signed by the parent."
)

MILD_CONCERNS = [
    (
        "{name} has seemed tired and tearful this week and did not want to go outside, which is "
        "new for {him}. Will watch and talk to {his} parent at collection.",
        "Talked with {his} parent about the tiredness. New bedtime routine at home after a house "
        "guest stayed; parent thinks it will settle. Agreed to keep each other updated.",
    ),
    (
        "Toileting accidents several times this week after being dry for months; {name} was upset "
        "by them. Changed into spare clothes and reassured.",
        "Discussed the toileting accidents with {his} parent. They have noticed the same at home "
        "since starting the new childminder on Fridays; agreed to go back to regular reminders.",
    ),
    (
        "{name} pushed other children several times at tidy-up time this week. Using a sand timer "
        "and a five-minute warning before transitions; watching to see if it helps.",
        "Spoke to {his} parent about the pushing at transitions. They shared that {name} has "
        "been unsettled by building work at home; agreed the same warnings at home.",
    ),
]

HEALTH_VISITOR_NOTES = [
    "Health visitor telephoned to ask how {name} is settling; with {his} parent's consent we "
    "shared that {he} is settled, eating well and making friends.",
    "Letter from the health visitor (copy given to us by {his} parent) confirming {name}'s "
    "immunisations are up to date and the 27-month review is complete.",
]

RAISED_GENERAL = (
    "Settling-in review with {his} parent: {name} is sleeping badly since a family member moved "
    "in, and arrives tired. Agreed a quieter start to the day. Recorded at sensitive level at the "
    "parent's request."
)


@dataclass(frozen=True)
class Scripted:
    """One entry of a child's story. ``author`` is a username or ``key`` (the key person) or
    ``room`` (another practitioner in the room). ``informed`` is ``auto`` (told, unless recent),
    ``to_inform``, ``not_informed`` or ``informed``."""

    days_ago: int
    author: str
    category: str
    text: str
    level: int | None = None
    informed: str = "auto"
    how: str = InformedHow.IN_PERSON
    at: str = ""  # "HH:MM" when the order within a day matters
    told_after_days: int = 0  # the parent was told this many days later
    body_map: tuple[tuple[str, str], ...] = ()  # (part of the body, what was seen)


S = Scripted
C = Category

STORIES: dict[str, list[Scripted]] = {
    "court_order": [
        S(
            300,
            "key",
            C.FAMILY_CHANGE,
            "Mum told us she and {name}'s dad have separated and he has moved out. {name} lives "
            "with mum; arrangements for time with dad are being agreed. We will keep {his} "
            "routine the same and let mum know if {he} seems unsettled.",
        ),
        S(
            250,
            "lead",
            C.SENSITIVE_DISCUSSION,
            "Mum brought in a copy of a prohibited steps order made by the Family Court: dad may "
            "not remove Maya or Finn from the setting or collect them. Copy in the office safe; "
            "the order is noted on dad's contact record and the collection list is updated. Mum "
            "regards this as confidential: yes, Lead, Deputy, key persons and office only.",
        ),
        S(
            240,
            "lead",
            C.AGENCY_CORRESPONDENCE,
            "Letter from the Family Court adviser asking for factual information about {name}'s "
            "attendance and who brings and collects {him}. Replied with facts only, copied to "
            "both parents as the adviser asked.",
            how=InformedHow.LETTER,
        ),
        S(
            150,
            "key",
            C.SENSITIVE_DISCUSSION,
            "Dad telephoned to ask how {name} is getting on. Explained that, as he has parental "
            "responsibility, we can send him {his} learning summary, and reminded him that the "
            "order means he cannot collect. Calm call; summary posted to him.",
            how=InformedHow.PHONE,
        ),
        S(
            2,
            "keyperson3",
            C.CONCERN,
            "Dad arrived at 15:10 asking to collect {name}. We followed the court order: {name} "
            "stayed in the room, dad was asked to wait outside, mum was called and then the "
            "police non-emergency line as the order directs. Dad left before the police arrived. "
            "The Lead and Deputy were at a training day and could not be reached.",
            informed="informed",
            how=InformedHow.PHONE,
            at="15:25",
        ),
    ],
    "court_order_sib": [
        S(
            300,
            "key",
            C.FAMILY_CHANGE,
            "Mum told us that she and {name}'s dad have separated. {name} knows and has talked "
            "about 'Daddy's new flat'. We will give {him} time to talk if {he} wants to.",
        ),
        S(
            120,
            "key",
            C.GENERAL,
            "{name} made a card 'for Daddy' and asked if we could post it. Told mum at collection, "
            "who said she would pass it on.",
        ),
    ],
    "speech": [
        S(
            280,
            "key",
            C.GENERAL,
            "Two-year progress check completed with mum and dad. {name} is on track for physical "
            "development and personal, social and emotional development. Communication: around "
            "20 single words in English and some in Igbo; understands simple instructions in both.",
        ),
        S(
            270,
            "key",
            C.AGENCY_CORRESPONDENCE,
            "With both parents' consent, sent {name}'s two-year progress check to the health "
            "visitor for the integrated review.",
            how=InformedHow.EMAIL,
        ),
        S(
            200,
            "key",
            C.CONCERN,
            "{name} is getting frustrated when not understood and has started pushing when other "
            "children take toys. Speech is still mostly single words. Discussed with the SENCo: "
            "starting a small-group listening and attention session twice a week.",
        ),
        S(
            195,
            "key",
            C.SENSITIVE_DISCUSSION,
            "Met mum and dad about {name}'s speech. They have noticed the same at home. Agreed to "
            "ask the health visitor for a speech and language therapy referral; shared ideas for "
            "home (commenting rather than questioning, offering choices) and encouraged them to "
            "keep using both home languages.",
        ),
        S(
            160,
            "key",
            C.AGENCY_CORRESPONDENCE,
            "Letter from the health visitor: referral to speech and language therapy made; "
            "waiting time about 14 weeks.",
            how=InformedHow.LETTER,
        ),
        S(
            60,
            "key",
            C.AGENCY_CORRESPONDENCE,
            "Speech and language therapist visited to observe {name} and left targets: two-word "
            "phrases, modelling 'more ___' at snack. Targets added to {his} support plan.",
        ),
        S(
            10,
            "key",
            C.GENERAL,
            "{name} said 'more juice please' at snack time: the first three-word phrase we have "
            "heard from {him} at preschool! Shared with mum at collection.",
        ),
    ],
    "settling": [
        S(
            39,
            "key",
            C.GENERAL,
            "First settling-in session with mum staying. {name} explored the sand tray and the "
            "cars and looked back at mum often.",
        ),
        S(
            35,
            "key",
            C.GENERAL,
            "Settling-in: mum left for 45 minutes. {name} cried briefly, then was comforted with "
            "the photo book from home and the train set.",
        ),
        S(
            28,
            "key",
            C.SENSITIVE_DISCUSSION,
            "Settling-in review with mum and dad. Mum shared that she is being treated for "
            "postnatal depression since the baby and finds mornings hard; she regards this as "
            "confidential (key person and Lead only). Offered a later drop-off time.",
        ),
    ],
    "hardship": [
        S(
            180,
            "key",
            C.CONCERN,
            "{name} has arrived hungry several mornings this week and asked for more toast at "
            "breakfast. {His} lunchbox has twice held only a packet of crisps.",
        ),
        S(
            178,
            "lead",
            C.SENSITIVE_DISCUSSION,
            "Private conversation in the office with mum about money worries: rent has gone up "
            "and food is hard to afford. With mum's agreement gave details of the local food bank "
            "and the Family Hub, and checked her eligibility for funded hours. Mum regards this as "
            "confidential: yes.",
        ),
        S(
            120,
            "lead",
            C.AGENCY_CORRESPONDENCE,
            "With mum's consent, completed an early help request to the Family Hub for money and "
            "housing advice. Acknowledgement received; a family support worker will contact mum.",
            how=InformedHow.PHONE,
        ),
        S(
            90,
            "key",
            C.GENERAL,
            "{name} is eating well at lunch and has much more energy in the afternoons.",
        ),
        S(
            25,
            "key",
            C.CONCERN,
            "{name} came in without a coat on a cold, wet morning and said 'Mummy's coat is "
            "broken too'. Lent a spare coat from the setting.",
            informed="to_inform",
        ),
    ],
    "biting": [
        S(
            120,
            "key",
            C.CONCERN,
            "{name} bit two children this week, both times when another child took a toy {he} "
            "was using. Watching closely at busy times; giving {him} words to use ('mine', 'stop').",
        ),
        S(
            117,
            "key",
            C.SENSITIVE_DISCUSSION,
            "Talked with mum about the biting. Mum said it also happens at home with the baby. "
            "Agreed the same approach: a calm 'no, biting hurts', then help {him} say what {he} "
            "wants; a teether is in {his} bag.",
        ),
        S(
            70,
            "key",
            C.GENERAL,
            "No biting for three weeks. {name} said 'my turn!' and waited for the bike.",
        ),
    ],
    "child_protection": [
        S(
            120,
            "key",
            C.CONCERN,
            "{name} has been quieter this week and flinched when dad raised his voice at "
            "collection. Noted and discussed with the Lead.",
        ),
        S(
            95,
            "key",
            C.CHILD_PROTECTION,
            "During nappy change noticed three oval bruises on {name}'s upper left arm. {name} "
            "said 'Daddy squeezed'. Asked only 'what happened?'. Body map completed and passed "
            "straight to the Lead (Designated Safeguarding Lead).",
            informed="not_informed",
            at="11:05",
            body_map=(
                ("front:left_upper_arm", "Oval bruise, blue-purple, about 1.5 cm"),
                ("front:left_upper_arm", "Second oval bruise just below the first, about 1.5 cm"),
                ("back:left_upper_arm", "Third oval bruise on the back of the arm, about 2 cm"),
            ),
        ),
        S(
            95,
            "lead",
            C.CHILD_PROTECTION,
            "Reviewed the body map and {name}'s words. Rang the children's social care front door "
            "at 14:20 and made a referral; written referral sent by secure e-mail at 15:05. "
            "Parental consent not sought: social care advised that seeking it could place {name} "
            "at greater risk. Sharing decision recorded.",
            how=InformedHow.PHONE,
            at="15:10",
            told_after_days=3,
        ),
        S(
            94,
            "lead",
            C.AGENCY_CORRESPONDENCE,
            "Children's social care acknowledged the referral by e-mail the next working day; "
            "allocated to a social worker in the assessment team. Strategy discussion tomorrow.",
            level=Level.CHILD_PROTECTION,
            how=InformedHow.PHONE,
        ),
        S(
            93,
            "lead",
            C.CHILD_PROTECTION,
            "Strategy discussion (social care, police, health visitor, DSL): section 47 enquiry "
            "to begin. Shared attendance records and the chronology of concerns without parental "
            "consent, on the social worker's advice that consent would increase the risk.",
        ),
        S(
            80,
            "lead",
            C.SENSITIVE_DISCUSSION,
            "Met mum after the enquiry began. Mum upset but agreed to work with social care; she "
            "asked whether staff would 'talk about it'. Reassured her that only the Lead, Deputy "
            "and {name}'s key person know, on a need-to-know basis.",
        ),
        S(
            70,
            "lead",
            C.CHILD_PROTECTION,
            "Initial child protection conference: {name} made subject of a child protection plan "
            "(category: physical abuse). Dad has moved out as part of the safety plan. The setting "
            "is in the core group: attendance and any marks to be reported to the social worker "
            "the same day.",
            how=InformedHow.IN_PERSON,
        ),
        S(
            69,
            "key",
            C.FAMILY_CHANGE,
            "Mum told us dad has moved out and will not collect. Collection list: mum and "
            "maternal grandmother only.",
        ),
        S(
            56,
            "lead",
            C.AGENCY_CORRESPONDENCE,
            "Core group meeting: attendance 96%; no new marks; {name} more settled and joining in "
            "at carpet time. Next core group in six weeks.",
            level=Level.CHILD_PROTECTION,
        ),
        S(
            20,
            "key",
            C.GENERAL,
            "{name} built a fire station with the big blocks with two friends and was the 'chief', "
            "giving out jobs. Lovely cooperative play.",
        ),
        S(
            14,
            "deputy",
            C.AGENCY_CORRESPONDENCE,
            "Core group meeting (Deputy attending for the Lead): good progress on the plan; "
            "review conference date set. Setting report to be written by the Lead with the key "
            "person's observations.",
            level=Level.CHILD_PROTECTION,
            how=InformedHow.PHONE,
        ),
        S(
            5,
            "lead",
            C.CHILD_PROTECTION,
            "Setting report for the review child protection conference written and sent to the "
            "conference chair by secure e-mail. To be shared with mum before the conference.",
            informed="to_inform",
        ),
    ],
    "bereavement": [
        S(
            130,
            "key",
            C.FAMILY_CHANGE,
            "{name}'s grandad died last week. Mum asked us to let {him} talk about it if {he} "
            "wants to and to use the words 'died' and 'dead', as they do at home.",
        ),
        S(
            115,
            "key",
            C.GENERAL,
            "{name} talked about grandad at circle time and drew a picture 'for Grandad in the "
            "stars'. Comforted {him} and shared it with mum at collection.",
            level=Level.SENSITIVE,
        ),
    ],
    "domestic_abuse": [
        S(
            220,
            "key",
            C.SENSITIVE_DISCUSSION,
            "Mum became tearful at collection and said things are 'difficult at home' with her "
            "partner. Listened, did not ask leading questions, and passed it to the Lead the same "
            "day. Mum asked if this would stay confidential: told her it stays with the Lead and "
            "key person unless we are worried about {name}'s safety.",
        ),
        S(
            219,
            "lead",
            C.CHILD_PROTECTION,
            "Spoke with mum privately. She disclosed that her partner has pushed her and broken "
            "her phone; {name} was in the next room. With mum's consent, referred to children's "
            "social care for advice and to the local domestic abuse service.",
            how=InformedHow.IN_PERSON,
        ),
        S(
            210,
            "lead",
            C.AGENCY_CORRESPONDENCE,
            "Police notification under the local domestic abuse notification scheme: officers "
            "attended the home last night after a neighbour called. {name} was present but not "
            "hurt. Key person told to expect {him} to be unsettled; shared with no one else.",
            level=Level.CHILD_PROTECTION,
        ),
        S(
            190,
            "key",
            C.FAMILY_CHANGE,
            "Mum told us her partner has moved out and a non-molestation order has been made; "
            "copy given to the office. He is removed from the collection list.",
        ),
        S(
            150,
            "key",
            C.GENERAL,
            "{name} has been much more settled and chatty; {he} told us all about {his} new bedroom.",
        ),
    ],
    "looked_after": [
        S(
            338,
            "key",
            C.FAMILY_CHANGE,
            "{name} started with us while living with foster carers. The social worker confirmed "
            "the interim care order; the local authority shares parental responsibility with "
            "{his} mum. Contact with mum is supervised by the local authority, never here.",
            how=InformedHow.IN_PERSON,
        ),
        S(
            300,
            "lead",
            C.AGENCY_CORRESPONDENCE,
            "Early years personal education plan meeting with the social worker and the virtual "
            "school's early years adviser. Targets: settling, language, self-care. Early years "
            "pupil premium agreed for extra key-person time.",
        ),
        S(
            180,
            "key",
            C.AGENCY_CORRESPONDENCE,
            "Personal education plan review: good progress in communication; {name} now plays "
            "alongside others for longer. Social worker says care proceedings are ongoing.",
        ),
    ],
    "send": [
        S(
            300,
            "key",
            C.AGENCY_CORRESPONDENCE,
            "Area SENCo visit: observed {name} during free play and carpet time. Written advice "
            "received: visual timetable, now-and-next board, a quiet space to go to.",
        ),
        S(
            250,
            "key",
            C.SENSITIVE_DISCUSSION,
            "Meeting with mum and dad about asking for an education, health and care needs "
            "assessment. Parents agreed and signed consent for our records to be shared with the "
            "local authority SEND team.",
        ),
        S(
            200,
            "key",
            C.AGENCY_CORRESPONDENCE,
            "Needs assessment request sent to the local authority with the parents' consent, with "
            "our SEN support plans and the Area SENCo's report.",
            how=InformedHow.EMAIL,
        ),
        S(
            100,
            "key",
            C.AGENCY_CORRESPONDENCE,
            "Draft EHC plan received; parents and setting invited to comment. Replied about "
            "support at lunchtime and at transitions.",
        ),
        S(
            40,
            "key",
            C.AGENCY_CORRESPONDENCE,
            "Transition meeting with the reception teacher and the school SENCo, with parents' "
            "consent: shared {name}'s one-page profile and the strategies that help {him}.",
        ),
    ],
    "new_baby": [
        S(
            100,
            "key",
            C.FAMILY_CHANGE,
            "Mum told us she is expecting a baby in about three months. {name} knows and is "
            "excited; we will read books about new babies in the room.",
        ),
        S(
            9,
            "key",
            C.FAMILY_CHANGE,
            "Baby brother born last week. {name} very proud; dad will do drop-offs for a few weeks.",
            informed="informed",
        ),
    ],
    "working_away": [
        S(
            160,
            "key",
            C.FAMILY_CHANGE,
            "Dad is working away for six months. {name} may be unsettled; agreed a photo book of "
            "dad to keep in {his} bag and video calls at weekends.",
        ),
    ],
    "housing": [
        S(
            160,
            "key",
            C.FAMILY_CHANGE,
            "Mum told us the family has been moved into temporary accommodation after their "
            "landlord sold the house. The new address is further away and the bus journey is long. "
            "Address updated on the register.",
        ),
        S(
            150,
            "key",
            C.CONCERN,
            "{name} has been very tired, falling asleep after lunch, and has arrived late several "
            "times since the move.",
        ),
        S(
            148,
            "key",
            C.SENSITIVE_DISCUSSION,
            "Mum shared that they are in one room and {name} shares a bed with her; nobody is "
            "sleeping well. She regards this as confidential: yes. Offered a rest time after "
            "lunch and the Family Hub's details.",
        ),
        S(
            140,
            "lead",
            C.AGENCY_CORRESPONDENCE,
            "With mum's consent, wrote to the housing officer in support of the family's housing "
            "application, describing the effect of the journey on {name}'s attendance.",
            how=InformedHow.LETTER,
        ),
    ],
    "leaver": [
        S(
            130,
            "key",
            C.FAMILY_CHANGE,
            "Parents told us the family is moving out of the area for dad's work; {name}'s last "
            "day will be at the end of next month.",
        ),
        S(
            101,
            "key",
            C.GENERAL,
            "Last day: {name} handed out cards to friends and we gave {him} {his} learning journey "
            "to take home. Transfer record to follow to the new school with parents' consent.",
        ),
    ],
}

NOT_INFORMED_REASON = (
    "Children's social care advised that telling the parents before the strategy discussion could "
    "put Leo at risk of harm and could let the father influence the enquiry. Not telling them "
    "until social care agree; to be reviewed after the strategy discussion."
)

# (child first name, index of the entry in the child's story, text, reason); the amendment is
# written by the author of that entry.
AMENDMENTS = [
    (
        "Chidi",
        0,
        "Addition: the parents later asked that the check is also shared with Chidi's grandmother, "
        "who looks after him on Fridays (general progress only). Agreed.",
        "Information added after the parents' follow-up call.",
    ),
    (
        "Leo",
        1,
        "Addition: body map completed at 11:05 and countersigned by the Lead at 11:20.",
        "Times were left out of the original entry.",
    ),
    (
        "Maya",
        1,
        "Correction: the order was made on the date shown on the copy in the office safe, not on "
        "the hearing date mum first mentioned.",
        "Date corrected after checking the copy of the order.",
    ),
    (
        "George",
        0,
        "Addition: the new address was confirmed in writing by the housing officer.",
        "Confirmation received after the entry was written.",
    ),
]
ACCIDENT_AMENDMENT = (
    "Correction: the graze was on the left knee, not the right.",
    "Wrong side written in error; checked with the first aider and the accident form.",
)

# --- grants, acting Lead, break-glass, staff records --------------------------------------------

LIVE_GRANT = (
    "keyperson5",
    "Arjun",
    Level.SENSITIVE,
    "Arjun moves up to Kingfishers next month and Priya will be his key person: she needs his "
    "sensitive records to plan the transition.",
)
EXPIRED_GRANT = (
    "keyperson3",
    "Maya",
    Level.SENSITIVE,
    "Covering Amelia's key children while she was on leave.",
)
REVOKED_GRANT = (
    "keyperson4",
    "Leo",
    Level.CHILD_PROTECTION,
    "Covering Leo's key person's absence during the section 47 enquiry.",
)
ACTING_LEAD_REASON = (
    "Lead on annual leave for two weeks: Deputy acting Lead for sharing and access approvals."
)
BREAK_GLASS = (
    "keyperson3",
    "Maya",
    "Maya's father arrived to collect her although a court order says he may not. The Lead and "
    "Deputy were at a safeguarding training day with phones off. Opened Maya's records to check the "
    "order and the emergency contacts.",
)

DBS_TEXT = (
    "Enhanced DBS certificate with children's barred list check seen and recorded on the single "
    "central record (certificate number held there). Update Service status checked: no new "
    "information."
)
SUPERVISION_TEXTS = [
    "Termly supervision: discussed key children and workload; wellbeing good. Agreed to attend "
    "the local speech and language training. No concerns about practice.",
    "Supervision: reflected on a difficult conversation with a parent and what went well. "
    "Training plan updated (paediatric first aid renewal due). No safeguarding concerns raised.",
    "Supervision: talked through the key group's next steps and the new observation format. "
    "Asked for more time for planning; agreed half an hour on Wednesdays.",
]
STAFF_CONCERN_TEXT = (
    "A parent said a practitioner spoke sharply to their child at collection. Discussed with the "
    "practitioner, who reflected well and apologised to the parent. No further action; reminder of "
    "the behaviour policy given."
)
HEALTH_TEXT = (
    "Return-to-work meeting after three days' sickness absence; fit to work, no adjustments."
)
