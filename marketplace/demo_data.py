# ruff: noqa: E501  (long sentences of content read better unwrapped)
"""The demo catalogue's content: categories, cooperatives and products of Drâa-Tafilalet, in
Arabic, French and English. Plain data; ``marketplace.demo`` loads it."""

from __future__ import annotations

# The demo accounts are printed with this password: it is no secret.
DEMO_PASSWORD = "souk-demo-2026"  # noqa: S105  # nosec B105

# slug: (position, {ar, fr, en}, colour pair for generated images, motif)
CATEGORIES = {
    "dates": (1, {"ar": "التمور", "fr": "Dattes", "en": "Dates"}, ("#5a3214", "#c98a3d"), "dates"),
    "rose-products": (
        2,
        {"ar": "منتجات الورد", "fr": "Produits de la rose", "en": "Rose products"},
        ("#9c2f5b", "#f3a3c0"),
        "rose",
    ),
    "saffron": (
        3,
        {"ar": "الزعفران", "fr": "Safran", "en": "Saffron"},
        ("#4b1f6b", "#c27bd6"),
        "saffron",
    ),
    "henna": (4, {"ar": "الحناء", "fr": "Henné", "en": "Henna"}, ("#3d5a1e", "#a9c46a"), "henna"),
    "pottery": (
        5,
        {"ar": "فخار تامكروت", "fr": "Poterie de Tamegroute", "en": "Tamegroute pottery"},
        ("#1d4d3a", "#5fa37f"),
        "pottery",
    ),
    "carpets": (
        6,
        {"ar": "الزرابي والحنابل", "fr": "Tapis et kilims", "en": "Carpets and kilims"},
        ("#7a1f1f", "#e0733f"),
        "carpet",
    ),
    "jewellery": (
        7,
        {"ar": "الحلي الفضية", "fr": "Bijoux en argent", "en": "Silver jewellery"},
        ("#3b4452", "#c9d1dc"),
        "jewel",
    ),
    "fossils": (
        8,
        {"ar": "أحافير أرفود", "fr": "Fossiles d'Erfoud", "en": "Erfoud fossils"},
        ("#2f2a26", "#9b8f80"),
        "fossil",
    ),
    "honey": (9, {"ar": "العسل", "fr": "Miel", "en": "Honey"}, ("#8a5a00", "#f2c14e"), "honey"),
    "olive-oil": (
        10,
        {"ar": "زيت الزيتون", "fr": "Huile d'olive", "en": "Olive oil"},
        ("#3f4a12", "#b5b84a"),
        "oil",
    ),
    "couscous": (
        11,
        {
            "ar": "الكسكس والحبوب والفواكه المجففة",
            "fr": "Couscous, céréales et fruits secs",
            "en": "Couscous, grains and dried fruit",
        },
        ("#8c6a2f", "#ecd9a8"),
        "grain",
    ),
    "cosmetics": (
        12,
        {
            "ar": "مستحضرات التجميل الطبيعية",
            "fr": "Cosmétiques naturels",
            "en": "Natural cosmetics",
        },
        ("#6b4a5e", "#e8c7d4"),
        "jar",
    ),
}

# slug: (province, commune, founded, members, women, {locale: (name, story)})
COOPERATIVES = {
    "nakhil-tafilalet": (
        "errachidia",
        "Erfoud",
        2009,
        46,
        18,
        {
            "ar": (
                "تعاونية نخيل تافيلالت",
                "في واحات أرفود، تجمع التعاونية ستة وأربعين فلاحا يعتنون بنخيل المجهول والبوفقوس.\n"
                "نجني التمور يدويا ونفرزها ونعبئها في وحدتنا الصغيرة دون أي مواد حافظة.",
            ),
            "fr": (
                "Coopérative Nakhil Tafilalet",
                "Dans les oasis d'Erfoud, quarante-six agriculteurs soignent les palmiers Mejhoul "
                "et Boufeggous.\nNous récoltons à la main, trions et conditionnons les dattes dans "
                "notre petite unité, sans conservateur.",
            ),
            "en": (
                "Nakhil Tafilalet Cooperative",
                "In the oases of Erfoud, forty-six farmers tend Mejhoul and Boufeggous palms.\n"
                "We harvest by hand, sort and pack the dates in our small unit, with no "
                "preservatives.",
            ),
        },
    ),
    "fossiles-erfoud": (
        "errachidia",
        "Erfoud",
        2012,
        21,
        4,
        {
            "ar": (
                "تعاونية أحافير أرفود",
                "يستخرج حرفيونا الأحافير من مقالع المنطقة، ثم يصقلونها بعناية لتكشف عن "
                "الأمونيت والأورثوسيراس التي عاشت هنا قبل 400 مليون سنة.",
            ),
            "fr": (
                "Coopérative des Fossiles d'Erfoud",
                "Nos artisans extraient les fossiles des carrières de la région puis les polissent "
                "avec soin pour révéler ammonites et orthocères vieux de 400 millions d'années.",
            ),
            "en": (
                "Erfoud Fossils Cooperative",
                "Our craftsmen extract fossils from the local quarries and polish them carefully to "
                "reveal ammonites and orthoceras 400 million years old.",
            ),
        },
    ),
    "tizi-rissani": (
        "errachidia",
        "Rissani",
        2014,
        17,
        11,
        {
            "ar": (
                "تعاونية تيزي للصناعة التقليدية بالريصاني",
                "قرب قصور الريصاني، يحافظ صياغ التعاونية على فن الحلي الفضية الأمازيغية "
                "بالنقش والمينا كما تعلموه من آبائهم.",
            ),
            "fr": (
                "Coopérative artisanale Tizi Rissani",
                "Près des ksour de Rissani, les orfèvres de la coopérative perpétuent l'art du bijou "
                "amazigh en argent, gravé et émaillé comme leurs pères le leur ont appris.",
            ),
            "en": (
                "Tizi Rissani Craft Cooperative",
                "Near the ksour of Rissani, the cooperative's silversmiths keep alive the art of "
                "Amazigh silver jewellery, engraved and enamelled as their fathers taught them.",
            ),
        },
    ),
    "safran-siroua": (
        "ouarzazate",
        "Tazenakht",
        2011,
        32,
        20,
        {
            "ar": (
                "تعاونية زعفران سيروا",
                "على سفوح جبل سيروا، تقطف النساء أزهار الزعفران فجرا في شهر نونبر، وتفصلن "
                "المياسم الحمراء يدويا قبل تجفيفها ببطء.",
            ),
            "fr": (
                "Coopérative Safran du Siroua",
                "Sur les pentes du Siroua, les femmes cueillent les fleurs de safran à l'aube en "
                "novembre et séparent à la main les stigmates rouges avant un séchage lent.",
            ),
            "en": (
                "Siroua Saffron Cooperative",
                "On the slopes of Mount Siroua, women pick saffron flowers at dawn in November and "
                "separate the red stigmas by hand before drying them slowly.",
            ),
        },
    ),
    "zerbia-tazenakht": (
        "ouarzazate",
        "Tazenakht",
        2008,
        54,
        54,
        {
            "ar": (
                "تعاونية زربية تازناخت",
                "أربع وخمسون نساجة من قبائل أيت واوزكيت ينسجن الزرابي والحنابل بصوف محلي "
                "مصبوغ بالحناء والرمان والفوة.",
            ),
            "fr": (
                "Coopérative Zerbia de Tazenakht",
                "Cinquante-quatre tisserandes des tribus Aït Ouaouzguite nouent tapis et kilims en "
                "laine locale teinte au henné, à l'écorce de grenade et à la garance.",
            ),
            "en": (
                "Tazenakht Zerbia Cooperative",
                "Fifty-four weavers of the Ait Ouaouzguite tribes knot carpets and kilims from local "
                "wool dyed with henna, pomegranate bark and madder.",
            ),
        },
    ),
    "skoura-oasis": (
        "ouarzazate",
        "Skoura",
        2016,
        28,
        15,
        {
            "ar": (
                "تعاونية واحة سكورة",
                "بين القصبات ونخيل سكورة، نعصر زيتون أشجارنا المعمرة ونجمع عسل الأزهار البرية.",
            ),
            "fr": (
                "Coopérative de l'Oasis de Skoura",
                "Entre les kasbahs et la palmeraie de Skoura, nous pressons les olives de nos vieux "
                "arbres et récoltons le miel des fleurs sauvages.",
            ),
            "en": (
                "Skoura Oasis Cooperative",
                "Among the kasbahs and palm groves of Skoura, we press the olives of our old trees "
                "and gather the honey of wild flowers.",
            ),
        },
    ),
    "nahl-ayachi": (
        "midelt",
        "Midelt",
        2013,
        24,
        9,
        {
            "ar": (
                "تعاونية نحل العياشي",
                "ننقل خلايانا بين سفوح جبل العياشي وسهول ملوية لنحصل على عسل الزعتر والخروب "
                "والأزهار الجبلية.",
            ),
            "fr": (
                "Coopérative Nahl Ayachi",
                "Nous déplaçons nos ruches entre les pentes du Jbel Ayachi et la plaine de la "
                "Moulouya pour récolter miels de thym, de caroubier et de fleurs de montagne.",
            ),
            "en": (
                "Nahl Ayachi Cooperative",
                "We move our hives between the slopes of Jbel Ayachi and the Moulouya plain to "
                "harvest thyme, carob and mountain-flower honeys.",
            ),
        },
    ),
    "imilchil-grains": (
        "midelt",
        "Imilchil",
        2015,
        36,
        36,
        {
            "ar": (
                "تعاونية تيسليت لإملشيل",
                "نساء إملشيل يفتلن الكسكس يدويا من قمح وشعير الجبل، ويجففنه تحت شمس الأطلس.",
            ),
            "fr": (
                "Coopérative Tislit d'Imilchil",
                "Les femmes d'Imilchil roulent à la main le couscous de blé et d'orge de montagne, "
                "séché au soleil de l'Atlas.",
            ),
        },
    ),
    "tifaout-midelt": (
        "midelt",
        "Zaida",
        2017,
        19,
        12,
        {
            "ar": (
                "تعاونية تيفاوت",
                "من تفاح ميدلت الشهير نحضر المربى والتفاح المجفف، ونصنع أيضا زيت الزيتون البكر.",
            ),
            "fr": (
                "Coopérative Tifaout",
                "Avec les célèbres pommes de Midelt nous préparons confitures et pommes séchées, "
                "et pressons aussi une huile d'olive vierge.",
            ),
            "en": (
                "Tifaout Cooperative",
                "From Midelt's famous apples we make jams and dried apples, and we also press a "
                "virgin olive oil.",
            ),
        },
    ),
    "warda-mgouna": (
        "tinghir",
        "Kelaat M'Gouna",
        2007,
        62,
        48,
        {
            "ar": (
                "تعاونية الوردة بقلعة مكونة",
                "في وادي الورود، نقطف الورد الدمشقي في شهر ماي ونقطره بالطريقة التقليدية "
                "لنحصل على ماء الورد والزيت العطري.",
            ),
            "fr": (
                "Coopérative Al Warda de Kelaat M'Gouna",
                "Dans la vallée des roses, nous cueillons la rose de Damas en mai et la distillons "
                "à l'ancienne pour obtenir eau de rose et huile essentielle.",
            ),
            "en": (
                "Al Warda Cooperative of Kelaat M'Gouna",
                "In the valley of roses we pick the Damask rose in May and distil it the "
                "traditional way into rose water and essential oil.",
            ),
        },
    ),
    "todgha-women": (
        "tinghir",
        "Tinghir",
        2012,
        30,
        30,
        {
            "ar": (
                "تعاونية نساء تودغى",
                "تزرع نساء واحة تودغى الحناء وتطحنها، وتحضرن منها ومن نباتات الواحة "
                "مستحضرات طبيعية للعناية.",
            ),
            "fr": (
                "Coopérative des femmes du Todgha",
                "Les femmes de l'oasis du Todgha cultivent et broient le henné, et préparent avec "
                "les plantes de l'oasis des soins naturels.",
            ),
            "en": (
                "Todgha Women's Cooperative",
                "The women of the Todgha oasis grow and grind henna, and make natural care products "
                "from the plants of the oasis.",
            ),
        },
    ),
    "dades-silver": (
        "tinghir",
        "Boumalne Dadès",
        2018,
        14,
        6,
        {
            "ar": (
                "تعاونية فضة دادس",
                "في بومالن دادس، يصنع حرفيونا الخواتم والأساور والقلائد مستوحين رموزها من "
                "الزرابي والوشم الأمازيغي.",
            ),
            "fr": (
                "Coopérative Argent du Dadès",
                "À Boumalne Dadès, nos artisans façonnent bagues, bracelets et colliers dont les "
                "motifs viennent des tapis et des tatouages amazighs.",
            ),
            "en": (
                "Dades Silver Cooperative",
                "In Boumalne Dades our craftsmen shape rings, bracelets and necklaces whose motifs "
                "come from Amazigh carpets and tattoos.",
            ),
        },
    ),
    "tamegroute-pottery": (
        "zagora",
        "Tamegroute",
        2010,
        22,
        5,
        {
            "ar": (
                "تعاونية فخار تامكروت",
                "منذ القرن السابع عشر يصنع خزافو تامكروت فخارهم الأخضر الشهير بطين الوادي "
                "وطلاء من المنغنيز والنحاس، ويحرقونه في أفران الحطب.",
            ),
            "fr": (
                "Coopérative de Poterie de Tamegroute",
                "Depuis le XVIIe siècle, les potiers de Tamegroute façonnent leur célèbre céramique "
                "verte avec l'argile de l'oued et un émail au manganèse et au cuivre, cuit au bois.",
            ),
            "en": (
                "Tamegroute Pottery Cooperative",
                "Since the 17th century the potters of Tamegroute have shaped their famous green "
                "ceramics from river clay with a manganese and copper glaze, fired with wood.",
            ),
        },
    ),
    "nakhil-zagora": (
        "zagora",
        "Zagora",
        2011,
        40,
        16,
        {
            "ar": (
                "تعاونية نخيل درعة",
                "على ضفاف وادي درعة، نحافظ على أصناف التمور المحلية كالجيهل والبوسكري، "
                "ونحضر منها معجون التمر.",
            ),
            "fr": (
                "Coopérative Palmeraie du Drâa",
                "Au bord de l'oued Drâa, nous préservons les variétés locales de dattes comme Jihel "
                "et Bouskri et en préparons de la pâte de dattes.",
            ),
            "en": (
                "Draa Palm Grove Cooperative",
                "On the banks of the Draa river we preserve local date varieties such as Jihel and "
                "Bouskri and make date paste from them.",
            ),
        },
    ),
    "mhamid-henna": (
        "zagora",
        "M'Hamid El Ghizlane",
        2019,
        18,
        18,
        {
            "ar": (
                "تعاونية حناء امحاميد",
                "عند بوابة الصحراء، تزرع نساء امحاميد الحناء وتجففنها في الظل للحفاظ على "
                "لونها القوي.",
            ),
            "fr": (
                "Coopérative Henné de M'Hamid",
                "Aux portes du désert, les femmes de M'Hamid cultivent le henné et le sèchent à "
                "l'ombre pour garder toute sa couleur.",
            ),
            "en": (
                "M'Hamid Henna Cooperative",
                "At the gates of the desert, the women of M'Hamid grow henna and dry it in the "
                "shade to keep its strong colour.",
            ),
        },
    ),
}

# (slug, category, cooperative, price MAD, unit, stock, featured, {locale: (name, description)})
# The unit as a seller typed it ("500 g", "× 6" for six pieces, "150 × 230 cm" for a size);
# marketplace.demo loads it through units.from_text into quantity, unit code and size.
PRODUCTS = [
    # --- dates ---------------------------------------------------------------------------
    (
        "mejhoul-dates-extra",
        "dates",
        "nakhil-tafilalet",
        180,
        "1 kg",
        40,
        True,
        {
            "ar": (
                "تمر المجهول الممتاز",
                "تمور مجهول كبيرة وطرية من واحات أرفود، مذاقها غني كالكراميل.",
            ),
            "fr": (
                "Dattes Mejhoul extra",
                "Grosses dattes Mejhoul moelleuses des oasis d'Erfoud, au goût riche de caramel.",
            ),
            "en": (
                "Extra Mejhoul dates",
                "Large, soft Mejhoul dates from the oases of Erfoud with a rich caramel taste.",
            ),
        },
    ),
    (
        "mejhoul-dates-500g",
        "dates",
        "nakhil-tafilalet",
        95,
        "500 g",
        60,
        False,
        {
            "ar": ("تمر المجهول", "علبة نصف كيلوغرام من تمر المجهول المنتقى يدويا."),
            "fr": ("Dattes Mejhoul", "Boîte de 500 g de dattes Mejhoul triées à la main."),
            "en": ("Mejhoul dates", "A 500 g box of hand-sorted Mejhoul dates."),
        },
    ),
    (
        "boufeggous-dates",
        "dates",
        "nakhil-tafilalet",
        70,
        "1 kg",
        35,
        False,
        {
            "ar": ("تمر البوفقوس", "صنف تافيلالت الأصيل، لحمه طري وحلاوته معتدلة."),
            "fr": (
                "Dattes Boufeggous",
                "La variété traditionnelle du Tafilalet, à la chair tendre et peu sucrée.",
            ),
            "en": (
                "Boufeggous dates",
                "The traditional Tafilalet variety, with tender, mildly sweet flesh.",
            ),
        },
    ),
    (
        "date-paste",
        "dates",
        "nakhil-zagora",
        45,
        "500 g",
        25,
        False,
        {
            "ar": ("معجون التمر", "معجون تمر طبيعي مئة في المئة لتحضير الحلويات والمعمول."),
            "fr": ("Pâte de dattes", "Pâte de dattes 100 % naturelle pour pâtisseries et maamoul."),
            "en": ("Date paste", "100% natural date paste for pastries and maamoul."),
        },
    ),
    (
        "jihel-dates",
        "dates",
        "nakhil-zagora",
        55,
        "1 kg",
        30,
        False,
        {
            "ar": ("تمر الجيهل", "تمر جاف قليلا من واحات درعة، يحفظ طويلا ويصلح للسفر."),
            "fr": (
                "Dattes Jihel",
                "Datte demi-sèche des oasis du Drâa, qui se conserve longtemps.",
            ),
            "en": (
                "Jihel dates",
                "A semi-dry date from the Draa oases that keeps for a long time.",
            ),
        },
    ),
    (
        "bouskri-dates",
        "dates",
        "nakhil-zagora",
        65,
        "1 kg",
        0,
        False,
        {
            "ar": ("تمر البوسكري", "صنف نادر من زاكورة، لونه ذهبي ومذاقه يشبه العسل."),
            "fr": ("Dattes Bouskri", "Variété rare de Zagora, dorée, au goût de miel."),
            "en": ("Bouskri dates", "A rare golden variety from Zagora with a honey-like taste."),
        },
    ),
    (
        "stuffed-dates-almonds",
        "dates",
        "nakhil-tafilalet",
        120,
        "400 g",
        15,
        True,
        {
            "ar": (
                "تمر محشو باللوز",
                "تمر المجهول محشو بلوز الواحة المحمص، هدية مثالية للمناسبات.",
            ),
            "fr": (
                "Dattes fourrées aux amandes",
                "Dattes Mejhoul fourrées d'amandes grillées de l'oasis, idéales à offrir.",
            ),
            "en": (
                "Almond-stuffed dates",
                "Mejhoul dates stuffed with roasted oasis almonds, a perfect gift.",
            ),
        },
    ),
    # --- rose products ------------------------------------------------------------------
    (
        "rose-water",
        "rose-products",
        "warda-mgouna",
        40,
        "250 ml",
        80,
        True,
        {
            "ar": (
                "ماء الورد الدمشقي",
                "ماء ورد مقطر تقليديا من ورود قلعة مكونة، للبشرة وللحلويات.",
            ),
            "fr": (
                "Eau de rose de Damas",
                "Eau de rose distillée à l'ancienne à Kelaat M'Gouna, pour la peau et la pâtisserie.",
            ),
            "en": (
                "Damask rose water",
                "Rose water distilled the traditional way in Kelaat M'Gouna, for skin and pastries.",
            ),
        },
    ),
    (
        "rose-essential-oil",
        "rose-products",
        "warda-mgouna",
        450,
        "5 ml",
        8,
        False,
        {
            "ar": ("الزيت العطري للورد", "يحتاج كل قارورة إلى أطنان من البتلات: زيت نادر وثمين."),
            "fr": (
                "Huile essentielle de rose",
                "Chaque flacon demande des tonnes de pétales : une huile rare et précieuse.",
            ),
            "en": (
                "Rose essential oil",
                "Each bottle takes tonnes of petals: a rare and precious oil.",
            ),
        },
    ),
    (
        "dried-rose-buds",
        "rose-products",
        "warda-mgouna",
        35,
        "100 g",
        50,
        False,
        {
            "ar": ("براعم الورد المجففة", "براعم ورد مجففة في الظل لتعطير الشاي والبيت."),
            "fr": (
                "Boutons de rose séchés",
                "Boutons de rose séchés à l'ombre pour parfumer le thé et la maison.",
            ),
            "en": ("Dried rose buds", "Rose buds dried in the shade to scent tea and the home."),
        },
    ),
    (
        "rose-soap",
        "rose-products",
        "warda-mgouna",
        30,
        "100 g",
        70,
        False,
        {
            "ar": ("صابون الورد", "صابون مصنوع بالتصبين البارد بماء الورد وزيت الزيتون."),
            "fr": (
                "Savon à la rose",
                "Savon saponifié à froid à l'eau de rose et à l'huile d'olive.",
            ),
            "en": ("Rose soap", "Cold-process soap made with rose water and olive oil."),
        },
    ),
    (
        "rose-cream",
        "rose-products",
        "warda-mgouna",
        85,
        "50 ml",
        25,
        False,
        {
            "ar": ("كريم الورد المرطب", "كريم خفيف بماء الورد وزبدة الشيا للبشرة الجافة."),
            "fr": (
                "Crème hydratante à la rose",
                "Crème légère à l'eau de rose et au beurre de karité pour peaux sèches.",
            ),
            "en": (
                "Rose moisturising cream",
                "A light cream with rose water and shea butter for dry skin.",
            ),
        },
    ),
    (
        "rose-jam",
        "rose-products",
        "warda-mgouna",
        50,
        "250 g",
        0,
        False,
        {
            "ar": ("مربى الورد", "مربى بتلات الورد الدمشقي، على الطريقة التقليدية."),
            "fr": (
                "Confiture de pétales de rose",
                "Confiture de pétales de rose de Damas, à l'ancienne.",
            ),
            "en": ("Rose petal jam", "Damask rose petal jam made the old way."),
        },
    ),
    # --- saffron ------------------------------------------------------------------------
    (
        "saffron-1g",
        "saffron",
        "safran-siroua",
        60,
        "1 g",
        100,
        True,
        {
            "ar": ("زعفران حر", "مياسم زعفران حمراء خالصة من سيروا، من الصنف الأول."),
            "fr": (
                "Safran pur",
                "Stigmates de safran entièrement rouges du Siroua, première catégorie.",
            ),
            "en": ("Pure saffron", "All-red saffron stigmas from Siroua, top grade."),
        },
    ),
    (
        "saffron-5g",
        "saffron",
        "safran-siroua",
        270,
        "5 g",
        30,
        False,
        {
            "ar": (
                "زعفران حر - علبة 5 غرامات",
                "علبة اقتصادية للطبخ المغربي: الطاجين والكسكس والحريرة.",
            ),
            "fr": (
                "Safran pur – boîte de 5 g",
                "Format économique pour la cuisine marocaine : tajines, couscous, harira.",
            ),
            "en": (
                "Pure saffron – 5 g box",
                "A thrifty size for Moroccan cooking: tagines, couscous, harira.",
            ),
        },
    ),
    (
        "saffron-tea",
        "saffron",
        "safran-siroua",
        45,
        "50 g",
        40,
        False,
        {
            "ar": ("شاي أخضر بالزعفران", "شاي أخضر ممزوج بخيوط الزعفران والنعناع المجفف."),
            "fr": (
                "Thé vert au safran",
                "Thé vert mêlé de filaments de safran et de menthe séchée.",
            ),
            "en": ("Saffron green tea", "Green tea blended with saffron threads and dried mint."),
        },
    ),
    (
        "saffron-honey",
        "saffron",
        "safran-siroua",
        110,
        "250 g",
        12,
        False,
        {
            "ar": ("عسل بالزعفران", "عسل جبلي منقوع فيه الزعفران لأسابيع."),
            "fr": ("Miel au safran", "Miel de montagne où le safran infuse pendant des semaines."),
            "en": ("Saffron honey", "Mountain honey in which saffron steeps for weeks."),
        },
    ),
    (
        "saffron-bulbs",
        "saffron",
        "safran-siroua",
        90,
        "× 20",
        5,
        False,
        {
            "ar": ("بصيلات الزعفران", "بصيلات للزراعة في الخريف، منتقاة من حقولنا."),
            "fr": (
                "Bulbes de safran",
                "Bulbes à planter en automne, sélectionnés dans nos champs.",
            ),
            "en": ("Saffron bulbs", "Bulbs for autumn planting, selected from our fields."),
        },
    ),
    # --- henna --------------------------------------------------------------------------
    (
        "henna-powder",
        "henna",
        "mhamid-henna",
        30,
        "250 g",
        90,
        True,
        {
            "ar": ("مسحوق الحناء الطبيعي", "حناء مطحونة ناعما ومجففة في الظل، لون قوي ودائم."),
            "fr": (
                "Poudre de henné naturel",
                "Henné finement moulu, séché à l'ombre, pour une couleur intense.",
            ),
            "en": (
                "Natural henna powder",
                "Finely ground henna dried in the shade for a deep colour.",
            ),
        },
    ),
    (
        "henna-leaves",
        "henna",
        "mhamid-henna",
        25,
        "200 g",
        40,
        False,
        {
            "ar": ("أوراق الحناء المجففة", "أوراق كاملة لمن يفضل طحنها بنفسه."),
            "fr": (
                "Feuilles de henné séchées",
                "Feuilles entières pour celles qui préfèrent les moudre elles-mêmes.",
            ),
            "en": ("Dried henna leaves", "Whole leaves for those who like to grind their own."),
        },
    ),
    (
        "henna-hair-mask",
        "henna",
        "todgha-women",
        55,
        "300 g",
        30,
        False,
        {
            "ar": ("قناع الشعر بالحناء", "حناء ممزوجة بالغاسول وإكليل الجبل لتقوية الشعر."),
            "fr": (
                "Masque capillaire au henné",
                "Henné mêlé de ghassoul et de romarin pour fortifier les cheveux.",
            ),
            "en": (
                "Henna hair mask",
                "Henna blended with ghassoul and rosemary to strengthen hair.",
            ),
        },
    ),
    (
        "henna-kit",
        "henna",
        "todgha-women",
        75,
        "",
        18,
        False,
        {
            "ar": ("علبة نقش الحناء", "حناء وقوالب ومخروطات لنقش الأيدي في الأعراس والأعياد."),
            "fr": (
                "Coffret tatouage au henné",
                "Henné, pochoirs et cônes pour décorer les mains aux mariages et aux fêtes.",
            ),
            "en": (
                "Henna tattoo kit",
                "Henna, stencils and cones to decorate hands for weddings and feasts.",
            ),
        },
    ),
    (
        "henna-zagora-1kg",
        "henna",
        "mhamid-henna",
        95,
        "1 kg",
        20,
        False,
        {
            "ar": ("حناء زاكورة - كيلوغرام", "كيس كبير للعائلات وللحمام التقليدي."),
            "fr": ("Henné de Zagora – 1 kg", "Grand sachet pour les familles et le hammam."),
            "en": ("Zagora henna – 1 kg", "A large bag for families and the hammam."),
        },
    ),
    # --- pottery ------------------------------------------------------------------------
    (
        "green-tajine",
        "pottery",
        "tamegroute-pottery",
        220,
        "Ø 30 cm",
        10,
        True,
        {
            "ar": ("طاجين تامكروت الأخضر", "طاجين للتقديم بطلاء أخضر لامع، كل قطعة فريدة."),
            "fr": (
                "Tajine vert de Tamegroute",
                "Tajine de service à l'émail vert brillant, chaque pièce est unique.",
            ),
            "en": (
                "Green Tamegroute tagine",
                "A serving tagine with a glossy green glaze; every piece is unique.",
            ),
        },
    ),
    (
        "green-bowl",
        "pottery",
        "tamegroute-pottery",
        80,
        "Ø 15 cm",
        25,
        False,
        {
            "ar": ("زلافة خضراء", "زلافة للحريرة أو السلطة، مصنوعة ومطلية يدويا."),
            "fr": ("Bol vert", "Bol pour la harira ou la salade, tourné et émaillé à la main."),
            "en": ("Green bowl", "A bowl for harira or salad, thrown and glazed by hand."),
        },
    ),
    (
        "green-vase",
        "pottery",
        "tamegroute-pottery",
        260,
        "35 cm",
        6,
        False,
        {
            "ar": ("مزهرية خضراء", "مزهرية طويلة بتموجات الطلاء الطبيعية لفرن الحطب."),
            "fr": ("Vase vert", "Grand vase aux coulures naturelles de l'émail cuit au bois."),
            "en": ("Green vase", "A tall vase with the natural drips of a wood-fired glaze."),
        },
    ),
    (
        "tea-glasses-tray",
        "pottery",
        "tamegroute-pottery",
        180,
        "Ø 35 cm",
        0,
        False,
        {
            "ar": ("صينية الشاي الخزفية", "صينية خزفية خضراء لتقديم الشاي المغربي."),
            "fr": (
                "Plateau à thé en céramique",
                "Plateau en céramique verte pour servir le thé marocain.",
            ),
            "en": ("Ceramic tea tray", "A green ceramic tray for serving Moroccan tea."),
        },
    ),
    (
        "pottery-plates-set",
        "pottery",
        "tamegroute-pottery",
        300,
        "× 6",
        4,
        False,
        {
            "ar": ("طقم صحون تامكروت", "ستة صحون بقطر 24 سنتمترا، بدرجات مختلفة من الأخضر."),
            "fr": (
                "Service d'assiettes de Tamegroute",
                "Six assiettes de 24 cm aux nuances de vert différentes.",
            ),
            "en": ("Tamegroute plate set", "Six 24 cm plates in different shades of green."),
        },
    ),
    # --- carpets ------------------------------------------------------------------------
    (
        "tazenakht-carpet",
        "carpets",
        "zerbia-tazenakht",
        3200,
        "150 × 230 cm",
        2,
        True,
        {
            "ar": ("زربية تازناخت", "زربية معقودة يدويا بألوان الفوة والزعفران ورموز أيت واوزكيت."),
            "fr": (
                "Tapis de Tazenakht",
                "Tapis noué main aux couleurs de la garance et du safran, motifs Aït Ouaouzguite.",
            ),
            "en": (
                "Tazenakht carpet",
                "A hand-knotted carpet in madder and saffron colours with Ait Ouaouzguite motifs.",
            ),
        },
    ),
    (
        "kilim-hanbel",
        "carpets",
        "zerbia-tazenakht",
        1400,
        "120 × 200 cm",
        3,
        False,
        {
            "ar": ("حنبل منسوج", "حنبل مسطح خفيف بخطوط هندسية، يصلح للجدار أو للأرض."),
            "fr": (
                "Kilim hanbel",
                "Kilim plat et léger à bandes géométriques, pour le mur ou le sol.",
            ),
            "en": (
                "Hanbel kilim",
                "A light flat-woven kilim with geometric bands, for wall or floor.",
            ),
        },
    ),
    (
        "small-rug",
        "carpets",
        "zerbia-tazenakht",
        650,
        "60 × 90 cm",
        7,
        False,
        {
            "ar": ("زربية صغيرة", "زربية صغيرة لمدخل البيت أو جانب السرير."),
            "fr": ("Petit tapis", "Petit tapis pour l'entrée ou le bord du lit."),
            "en": ("Small rug", "A small rug for the entrance or the bedside."),
        },
    ),
    (
        "carpet-cushion",
        "carpets",
        "zerbia-tazenakht",
        280,
        "45 × 45 cm",
        12,
        False,
        {
            "ar": ("غطاء وسادة منسوج", "غطاء وسادة من بقايا صوف الزرابي."),
            "fr": (
                "Housse de coussin tissée",
                "Housse de coussin tissée avec les restes de laine des tapis.",
            ),
            "en": ("Woven cushion cover", "A cushion cover woven from leftover carpet wool."),
        },
    ),
    (
        "berber-blanket",
        "carpets",
        "zerbia-tazenakht",
        900,
        "140 × 220 cm",
        0,
        False,
        {
            "ar": ("بطانية صوفية", "بطانية من الصوف الخالص لليالي الجبل الباردة."),
            "fr": (
                "Couverture berbère",
                "Couverture en pure laine pour les nuits froides de la montagne.",
            ),
            "en": ("Berber blanket", "A pure wool blanket for cold mountain nights."),
        },
    ),
    # --- jewellery ----------------------------------------------------------------------
    (
        "silver-fibula",
        "jewellery",
        "tizi-rissani",
        480,
        "",
        6,
        True,
        {
            "ar": ("تيزرزيت فضية", "مشبك تقليدي من الفضة المنقوشة كانت النساء تثبتن به الحايك."),
            "fr": (
                "Fibule en argent",
                "Fibule traditionnelle en argent gravé qui retenait le haïk des femmes.",
            ),
            "en": (
                "Silver fibula",
                "A traditional engraved silver brooch once used to fasten women's haik.",
            ),
        },
    ),
    (
        "enamel-bracelet",
        "jewellery",
        "tizi-rissani",
        350,
        "",
        9,
        False,
        {
            "ar": ("دملج بالمينا", "دملج فضي مزين بالمينا الخضراء والصفراء."),
            "fr": ("Bracelet émaillé", "Bracelet en argent orné d'émail vert et jaune."),
            "en": (
                "Enamelled bracelet",
                "A silver bracelet decorated with green and yellow enamel.",
            ),
        },
    ),
    (
        "hand-of-fatima",
        "jewellery",
        "dades-silver",
        220,
        "",
        14,
        False,
        {
            "ar": ("قلادة الخميسة", "قلادة فضية على شكل الخميسة بنقوش دقيقة."),
            "fr": (
                "Pendentif main de Fatma",
                "Pendentif en argent en forme de khamsa, finement ciselé.",
            ),
            "en": ("Hand of Fatima pendant", "A finely chased silver khamsa pendant."),
        },
    ),
    (
        "amazigh-ring",
        "jewellery",
        "dades-silver",
        160,
        "",
        20,
        False,
        {
            "ar": ("خاتم أمازيغي", "خاتم فضي يحمل حرف الزاي الأمازيغي ⵣ."),
            "fr": ("Bague amazighe", "Bague en argent portant la lettre amazighe ⵣ (yaz)."),
            "en": ("Amazigh ring", "A silver ring bearing the Amazigh letter ⵣ (yaz)."),
        },
    ),
    (
        "silver-earrings",
        "jewellery",
        "dades-silver",
        190,
        "× 2",
        11,
        False,
        {
            "ar": ("أقراط فضية", "أقراط خفيفة مستوحاة من رموز الوشم."),
            "fr": (
                "Boucles d'oreilles en argent",
                "Boucles légères inspirées des motifs de tatouage.",
            ),
            "en": ("Silver earrings", "Light earrings inspired by tattoo motifs."),
        },
    ),
    (
        "coral-necklace",
        "jewellery",
        "tizi-rissani",
        750,
        "",
        2,
        False,
        {
            "ar": ("قلادة المرجان والفضة", "قلادة عرس تقليدية من الفضة والمرجان والعنبر."),
            "fr": (
                "Collier corail et argent",
                "Collier de mariage traditionnel en argent, corail et ambre.",
            ),
            "en": (
                "Coral and silver necklace",
                "A traditional wedding necklace of silver, coral and amber.",
            ),
        },
    ),
    # --- fossils ------------------------------------------------------------------------
    (
        "ammonite-pair",
        "fossils",
        "fossiles-erfoud",
        150,
        "Ø 8 cm",
        20,
        True,
        {
            "ar": ("زوج أمونيت مصقول", "أمونيت مقسومة نصفين ومصقولة تكشف غرفها الداخلية."),
            "fr": (
                "Paire d'ammonites polies",
                "Ammonite coupée en deux et polie, révélant ses loges.",
            ),
            "en": (
                "Polished ammonite pair",
                "An ammonite cut in half and polished to reveal its chambers.",
            ),
        },
    ),
    (
        "orthoceras-plate",
        "fossils",
        "fossiles-erfoud",
        420,
        "30 × 20 cm",
        5,
        False,
        {
            "ar": ("لوحة أورثوسيراس", "لوحة من الحجر الأسود تضم عدة أحافير أورثوسيراس."),
            "fr": (
                "Plaque d'orthocères",
                "Plaque de pierre noire réunissant plusieurs orthocères.",
            ),
            "en": ("Orthoceras plate", "A black stone plate holding several orthoceras."),
        },
    ),
    (
        "trilobite",
        "fossils",
        "fossiles-erfoud",
        380,
        "7 cm",
        4,
        False,
        {
            "ar": ("ثلاثي الفصوص", "أحفورة ثلاثي فصوص محفوظة في صخرتها الأصلية."),
            "fr": ("Trilobite", "Trilobite conservé dans sa roche d'origine."),
            "en": ("Trilobite", "A trilobite kept in its original rock."),
        },
    ),
    (
        "fossil-coasters",
        "fossils",
        "fossiles-erfoud",
        120,
        "× 4",
        16,
        False,
        {
            "ar": ("قواعد أكواب أحفورية", "أربع قواعد من الرخام الأحفوري لأكواب الشاي."),
            "fr": ("Dessous de verre fossiles", "Quatre dessous de verre en marbre fossilifère."),
            "en": ("Fossil coasters", "Four coasters cut from fossil marble."),
        },
    ),
    (
        "fossil-bowl",
        "fossils",
        "fossiles-erfoud",
        260,
        "Ø 20 cm",
        0,
        False,
        {
            "ar": ("صحن من الرخام الأحفوري", "صحن منحوت في الرخام الأسود المليء بالأحافير."),
            "fr": (
                "Coupe en marbre fossile",
                "Coupe taillée dans le marbre noir riche en fossiles.",
            ),
            "en": ("Fossil marble bowl", "A bowl carved from black marble full of fossils."),
        },
    ),
    # --- honey --------------------------------------------------------------------------
    (
        "thyme-honey",
        "honey",
        "nahl-ayachi",
        160,
        "500 g",
        30,
        True,
        {
            "ar": ("عسل الزعتر", "عسل جبلي داكن بنكهة الزعتر البري القوية."),
            "fr": ("Miel de thym", "Miel de montagne sombre au parfum puissant de thym sauvage."),
            "en": ("Thyme honey", "Dark mountain honey with the strong scent of wild thyme."),
        },
    ),
    (
        "carob-honey",
        "honey",
        "nahl-ayachi",
        140,
        "500 g",
        22,
        False,
        {
            "ar": ("عسل الخروب", "عسل الخروب الغني بالمعادن، مفيد في الشتاء."),
            "fr": ("Miel de caroubier", "Miel de caroubier riche en minéraux, apprécié en hiver."),
            "en": ("Carob honey", "Mineral-rich carob honey, a winter favourite."),
        },
    ),
    (
        "mountain-flower-honey",
        "honey",
        "nahl-ayachi",
        110,
        "500 g",
        40,
        False,
        {
            "ar": ("عسل الأزهار الجبلية", "عسل فاتح ولطيف من أزهار سهول ملوية."),
            "fr": (
                "Miel de fleurs de montagne",
                "Miel clair et doux des fleurs de la plaine de la Moulouya.",
            ),
            "en": (
                "Mountain flower honey",
                "A light, mild honey from the flowers of the Moulouya plain.",
            ),
        },
    ),
    (
        "euphorbia-honey",
        "honey",
        "skoura-oasis",
        220,
        "250 g",
        6,
        False,
        {
            "ar": ("عسل الدغموس", "عسل نادر بطعم حار قليلا، يُعرف بفوائده."),
            "fr": (
                "Miel d'euphorbe",
                "Miel rare au goût légèrement poivré, réputé pour ses vertus.",
            ),
            "en": ("Euphorbia honey", "A rare, slightly peppery honey prized for its virtues."),
        },
    ),
    (
        "wild-oasis-honey",
        "honey",
        "skoura-oasis",
        130,
        "500 g",
        0,
        False,
        {
            "ar": ("عسل الواحة", "عسل أزهار النخيل والبرسيم في واحة سكورة."),
            "fr": (
                "Miel de l'oasis",
                "Miel des fleurs de palmier et de luzerne de l'oasis de Skoura.",
            ),
            "en": ("Oasis honey", "Honey from the palm and alfalfa flowers of the Skoura oasis."),
        },
    ),
    # --- olive oil ----------------------------------------------------------------------
    (
        "extra-virgin-olive-oil",
        "olive-oil",
        "skoura-oasis",
        95,
        "1 L",
        45,
        True,
        {
            "ar": ("زيت زيتون بكر ممتاز", "زيت معصور على البارد من زيتون أشجار سكورة المعمرة."),
            "fr": (
                "Huile d'olive vierge extra",
                "Huile pressée à froid des olives des vieux arbres de Skoura.",
            ),
            "en": (
                "Extra virgin olive oil",
                "Cold-pressed oil from the olives of Skoura's old trees.",
            ),
        },
    ),
    (
        "olive-oil-5l",
        "olive-oil",
        "skoura-oasis",
        420,
        "5 L",
        10,
        False,
        {
            "ar": ("زيت زيتون - 5 لترات", "جرة عائلية لمؤونة السنة."),
            "fr": ("Huile d'olive – 5 L", "Bidon familial pour la provision de l'année."),
            "en": ("Olive oil – 5 L", "A family can for the year's supply."),
        },
    ),
    (
        "midelt-olive-oil",
        "olive-oil",
        "tifaout-midelt",
        90,
        "75 cl",
        20,
        False,
        {
            "ar": ("زيت زيتون ميدلت", "زيت فاكهي خفيف من زيتون سهل ملوية."),
            "fr": ("Huile d'olive de Midelt", "Huile fruitée et légère des olives de la Moulouya."),
            "en": ("Midelt olive oil", "A light, fruity oil from Moulouya olives."),
        },
    ),
    (
        "green-olives",
        "olive-oil",
        "tifaout-midelt",
        40,
        "500 g",
        25,
        False,
        {
            "ar": ("زيتون أخضر مصبر", "زيتون أخضر مصبر بالحامض والأعشاب."),
            "fr": ("Olives vertes marinées", "Olives vertes marinées au citron et aux herbes."),
            "en": ("Marinated green olives", "Green olives marinated with lemon and herbs."),
        },
    ),
    (
        "thyme-olive-oil",
        "olive-oil",
        "tifaout-midelt",
        70,
        "50 cl",
        18,
        False,
        {
            "ar": (
                "زيت زيتون بالزعتر",
                "زيت زيتون بكر منقوع فيه الزعتر البري لأطباق الشواء والسلطات.",
            ),
            "fr": (
                "Huile d'olive au thym",
                "Huile d'olive vierge infusée au thym sauvage pour grillades et salades.",
            ),
            "en": (
                "Thyme-infused olive oil",
                "Virgin olive oil infused with wild thyme for grills and salads.",
            ),
        },
    ),
    # --- couscous and grains ------------------------------------------------------------
    (
        "barley-couscous",
        "couscous",
        "imilchil-grains",
        35,
        "1 kg",
        50,
        True,
        {
            "ar": ("كسكس الشعير", "كسكس بلدي من شعير إملشيل، مفتول يدويا."),
            "fr": ("Couscous d'orge", "Couscous beldi d'orge d'Imilchil, roulé à la main."),
        },
    ),
    (
        "wheat-couscous",
        "couscous",
        "imilchil-grains",
        30,
        "1 kg",
        60,
        False,
        {
            "ar": ("كسكس القمح الصلب", "كسكس رقيق من القمح الصلب للمناسبات."),
            "fr": ("Couscous de blé dur", "Couscous fin de blé dur pour les jours de fête."),
        },
    ),
    (
        "belboula",
        "couscous",
        "imilchil-grains",
        32,
        "1 kg",
        35,
        False,
        {
            "ar": ("بلبولة", "شعير مكسر لحساء البلبولة الدافئ."),
            "fr": ("Belboula", "Orge concassée pour la soupe belboula."),
            "en": ("Belboula", "Cracked barley for warming belboula soup."),
        },
    ),
    (
        "amazigh-flatbread-flour",
        "couscous",
        "imilchil-grains",
        25,
        "1 kg",
        0,
        False,
        {
            "ar": ("دقيق خبز تافرنوت", "دقيق كامل لخبز تافرنوت التقليدي."),
            "fr": (
                "Farine pour pain tafarnout",
                "Farine complète pour le pain tafarnout traditionnel.",
            ),
            "en": ("Tafarnout bread flour", "Wholemeal flour for traditional tafarnout bread."),
        },
    ),
    (
        "dried-apples",
        "couscous",
        "tifaout-midelt",
        45,
        "250 g",
        28,
        False,
        {
            "ar": ("تفاح مجفف", "شرائح تفاح ميدلت مجففة بالشمس، وجبة خفيفة صحية."),
            "fr": (
                "Pommes séchées",
                "Tranches de pommes de Midelt séchées au soleil, un en-cas sain.",
            ),
            "en": ("Dried apples", "Sun-dried slices of Midelt apples, a healthy snack."),
        },
    ),
    # --- cosmetics ----------------------------------------------------------------------
    (
        "black-soap",
        "cosmetics",
        "todgha-women",
        40,
        "250 g",
        45,
        False,
        {
            "ar": ("الصابون البلدي", "صابون أسود بزيت الزيتون للحمام التقليدي."),
            "fr": ("Savon noir beldi", "Savon noir à l'huile d'olive pour le hammam."),
            "en": ("Beldi black soap", "Black olive-oil soap for the hammam."),
        },
    ),
    (
        "ghassoul-clay",
        "cosmetics",
        "todgha-women",
        35,
        "300 g",
        38,
        False,
        {
            "ar": ("الغاسول", "طين الغاسول المعطر بالورد والخزامى."),
            "fr": ("Ghassoul", "Argile ghassoul parfumée à la rose et à la lavande."),
            "en": ("Ghassoul clay", "Ghassoul clay scented with rose and lavender."),
        },
    ),
    (
        "date-seed-oil",
        "cosmetics",
        "nakhil-zagora",
        140,
        "30 ml",
        10,
        True,
        {
            "ar": ("زيت نوى التمر", "زيت نادر من نوى التمر، غني بمضادات الأكسدة للبشرة."),
            "fr": (
                "Huile de noyaux de dattes",
                "Huile rare de noyaux de dattes, riche en antioxydants pour la peau.",
            ),
            "en": (
                "Date seed oil",
                "A rare oil from date stones, rich in antioxidants for the skin.",
            ),
        },
    ),
    (
        "prickly-pear-oil",
        "cosmetics",
        "todgha-women",
        320,
        "15 ml",
        0,
        False,
        {
            "ar": ("زيت بذور الصبار", "زيت بذور التين الشوكي للعناية بالوجه."),
            "fr": (
                "Huile de figue de Barbarie",
                "Huile de pépins de figue de Barbarie pour le visage.",
            ),
            "en": ("Prickly pear seed oil", "Prickly pear seed oil for facial care."),
        },
    ),
    (
        "kohl",
        "cosmetics",
        "mhamid-henna",
        25,
        "5 g",
        30,
        False,
        {
            "ar": ("الكحل التقليدي", "كحل الإثمد المطحون في مكحلة خشبية."),
            "fr": ("Khôl traditionnel", "Khôl d'antimoine moulu, dans un pot en bois."),
            "en": ("Traditional kohl", "Ground antimony kohl in a wooden pot."),
        },
    ),
    (
        "rose-argan-cream",
        "cosmetics",
        "warda-mgouna",
        95,
        "50 ml",
        20,
        False,
        {
            "ar": (
                "كريم الورد بزيت الأركان",
                "كريم مغذ يجمع ماء الورد الدمشقي وزيت الأركان للبشرة الجافة.",
            ),
            "fr": (
                "Crème à la rose et à l'huile d'argan",
                "Crème nourrissante à l'eau de rose de Damas et à l'huile d'argan pour peaux sèches.",
            ),
            "en": (
                "Rose and argan oil cream",
                "A nourishing cream of Damask rose water and argan oil for dry skin.",
            ),
        },
    ),
]

# Products sold in several sizes or packs (issue #15): slug -> variants, in the seller's order,
# as (SKU, price in centimes of MAD, unit as typed, stock, weight for shipping in grams,
# option label per language or None when the unit names it). The first product row's price,
# unit and stock above are one of them. Every other product is sold in one variant (SKU = its
# slug), weighed by ``estimated_weight_grams``.
VARIANTS = {
    "mejhoul-dates-extra": [
        ("NKT-MJX-500", 9_500, "500 g", 60, 600, None),
        ("NKT-MJX-1K", 18_000, "1 kg", 40, 1_150, None),
        ("NKT-MJX-5K", 82_500, "5 kg", 6, 5_400, None),
    ],
    "saffron-1g": [
        ("SIR-SAF-1G", 6_000, "1 g", 100, 40, None),
        ("SIR-SAF-2G", 11_500, "2 g", 55, 45, None),
        ("SIR-SAF-5G", 27_000, "5 g", 30, 60, None),
    ],
    "rose-water": [
        ("MGN-EAU-100", 2_000, "100 ml", 120, 160, None),
        ("MGN-EAU-250", 4_000, "250 ml", 80, 340, None),
    ],
    "thyme-honey": [
        ("AYA-THY-250", 8_500, "250 g", 25, 380, None),
        ("AYA-THY-500", 16_000, "500 g", 30, 700, None),
        ("AYA-THY-1K", 30_000, "1 kg", 12, 1_350, None),
    ],
    "tazenakht-carpet": [
        (
            "TZN-TAP-S",
            150_000,
            "100 × 150 cm",
            4,
            4_500,
            {"fr": "Petit 100 × 150 cm", "ar": "صغير 100 × 150 سم", "en": "Small 100 × 150 cm"},
        ),
        (
            "TZN-TAP-L",
            320_000,
            "150 × 230 cm",
            2,
            10_500,
            {"fr": "Grand 150 × 230 cm", "ar": "كبير 150 × 230 سم", "en": "Large 150 × 230 cm"},
        ),
    ],
}

# Shipping weight of a product sold whole (no mass or volume in its unit), by category.
CATEGORY_WEIGHT_GRAMS = {
    "pottery": 1_800,
    "carpets": 6_000,
    "jewellery": 150,
    "fossils": 900,
    "henna": 500,
    "saffron": 300,
}
