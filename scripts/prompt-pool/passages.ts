// Hand-written passages for the prompt pool: the material of medium prompts (one or two passages
// with a task) and long ones (many passages under headings with a task). One topic each, plain prose.

export interface Passage {
  title: string;
  text: string;
}

export const PASSAGES: readonly Passage[] = [
  {
    title: "The harbour at dawn",
    text: "The harbour town woke slowly. Fishing boats came in one after another, their crews sorting the catch on the quay while gulls argued over the scraps. By eight the market stalls were up, and the smell of bread from the bakery on the corner mixed with salt and diesel. Tourists arrived later, after the best fish had already been sold to the restaurants up the hill.",
  },
  {
    title: "Cache hit rates",
    text: "A cache is only as good as its hit rate. When the working set fits, reads cost a few nanoseconds; when it does not, every miss falls through to a slower tier, and the tail latency of the whole system is set by how often that happens and how long the slowest tier takes. Doubling the cache rarely halves the misses, because access patterns have long tails.",
  },
  {
    title: "Photosynthesis",
    text: "Photosynthesis turns light, water and carbon dioxide into sugar and oxygen. The light reactions split water and store energy in ATP and NADPH; the Calvin cycle then uses that energy to fix carbon into three-carbon sugars that the plant builds everything else from. On a hot, dry day many plants close their pores to save water, and the same closure slows the intake of carbon dioxide.",
  },
  {
    title: "The old railway path",
    text: "The old railway line had been closed for thirty years before volunteers cleared the track bed. They cut back the brambles, rebuilt two small bridges and laid gravel over the worst of the mud, so that by autumn walkers and cyclists could follow it from the valley to the coast. The council, which had refused to fund the work, later put the path on its tourism leaflets.",
  },
  {
    title: "Binary search",
    text: "Binary search halves the interval on every step, so a sorted array of a million elements needs at most twenty comparisons. The subtle part is the boundary: off-by-one errors in the update of the low and high indices are the most common bug, and they only show on some inputs. A well-known version in a standard library carried an integer overflow in the midpoint for years.",
  },
  {
    title: "Sourdough",
    text: "A sourdough starter is a culture of wild yeast and lactic acid bacteria kept alive with regular feeds of flour and water. The yeast makes the gas that raises the bread; the bacteria make the acids that give it its sour taste and help it keep. A cold, slow rise in the refrigerator overnight develops more flavour than a warm, quick one, at the cost of planning a day ahead.",
  },
  {
    title: "Tides",
    text: "Tides come from the difference in the Moon's pull across the Earth: the side facing the Moon is pulled a little more than the centre, the far side a little less, and the oceans bulge on both sides. The Sun adds a smaller effect, so tides are largest when Sun and Moon line up at new and full moon. Coastlines and basins shape the rest, which is why some bays see a range of fifteen metres and others barely one.",
  },
  {
    title: "Index funds",
    text: "An index fund buys every stock in a market index in proportion to its size instead of trying to pick winners. Its costs are low because it trades little and pays no analysts. Over long periods most actively managed funds fail to beat their index after fees, although in any single year many of them do, which keeps the debate alive.",
  },
  {
    title: "The printing press",
    text: "Movable type made books cheap enough for merchants and students, not only monasteries and courts. Within fifty years of the first printed Bibles, presses were working in hundreds of European towns. Printed pamphlets spread arguments faster than authorities could answer them, and standard spellings slowly emerged as printers copied each other's conventions.",
  },
  {
    title: "Sleep and memory",
    text: "During deep sleep the brain replays patterns of activity from the day, and experiments suggest this replay helps move memories from short-term to long-term storage. People who sleep after learning a list of words recall more of them the next day than people who stay awake for the same number of hours. Cutting sleep short affects attention first and memory soon after.",
  },
  {
    title: "Container shipping",
    text: "The standard shipping container cut the cost of moving goods by sea so sharply that it reshaped world trade. Before it, dockworkers loaded sacks and crates by hand and a ship could spend a week in port; with it, cranes move a box a minute and a large ship turns around in a day or two. Ports that could not build deep berths and wide yards lost their trade to those that could.",
  },
  {
    title: "Volcanic soils",
    text: "Farmers have settled on the slopes of active volcanoes for thousands of years because the ash weathers into some of the most fertile soil on Earth. The minerals it releases feed crops for decades, and the loose texture drains well. The risk is plain, yet many eruptions give weeks of warning, and the harvests in between are generous enough that people keep returning.",
  },
  {
    title: "Code review",
    text: "A good code review looks first at whether the change does the right thing, then at whether it does it clearly, and only last at style. Reviewers who comment on every small detail train authors to send fewer, larger changes, which are harder to review well. The most useful comments ask a question that the author had not considered, such as what happens when the input is empty.",
  },
  {
    title: "Urban trees",
    text: "Street trees cool a city by shading pavement and releasing water through their leaves; on a summer afternoon a tree-lined street can be several degrees cooler than a bare one. They also slow rainwater, reducing the load on drains during storms. The hard part is the first ten years, when young trees need watering and protection from cars, vandals and compacted soil.",
  },
  {
    title: "The water cycle",
    text: "Water evaporates from oceans, lakes and leaves, rises as vapour, cools and condenses into clouds, and falls as rain or snow. Some of it runs off into rivers within days; some soaks into the ground and may stay in an aquifer for thousands of years. A warmer atmosphere holds more vapour, which is why heavy downpours become more intense as the climate warms.",
  },
  {
    title: "A small bookshop",
    text: "The bookshop on Mill Lane survived three recessions and the arrival of online retailers by doing what they could not: its owner remembered what each regular customer liked and set books aside for them. On Thursday evenings she ran a reading group in the back room. Sales of new books barely covered the rent, but second-hand books and coffee made up the difference.",
  },
  {
    title: "Vaccines",
    text: "A vaccine trains the immune system with a harmless version or piece of a pathogen, so that the body recognises the real thing quickly and fights it before it causes serious illness. Some vaccines need boosters because the memory they create fades. When enough people are immune, an infection struggles to spread, which also protects people who cannot be vaccinated.",
  },
  {
    title: "The committee",
    text: "In the spring of that year the committee met four times. The first meeting settled the budget, the second argued about the schedule, the third produced a draft that nobody liked, and the fourth approved a shorter version of the same draft with two paragraphs removed. The minutes record that the chair thanked everyone for their patience.",
  },
  {
    title: "Bees and pollination",
    text: "Roughly a third of the food people eat depends on animal pollination, most of it by bees. Honeybees get the attention, but wild bees, many of them solitary and nesting in the ground, pollinate some crops more effectively. Hedgerows, wildflower margins and fewer pesticides help wild bees more than adding hives does.",
  },
  {
    title: "Lighthouses",
    text: "Before satellite navigation, lighthouses gave ships a fixed point on a dark coast. Each one had its own pattern of flashes so that a navigator could tell which light was which. The Fresnel lens, built from rings of glass prisms, let a small lamp throw a beam visible for more than twenty miles. Most lights are automatic now, and many keepers' cottages have become holiday lets.",
  },
  {
    title: "Compound interest",
    text: "Compound interest pays interest on interest. Money growing at seven percent a year doubles in about ten years, and in forty years it has doubled four times, to sixteen times the start. The same arithmetic works against a borrower: a credit card balance at twenty percent a year, left unpaid, more than doubles in four years.",
  },
  {
    title: "Glaciers",
    text: "A glacier is a river of ice that flows under its own weight, a few centimetres to several metres a day. It grows when more snow falls in winter than melts in summer, and shrinks when the balance tips the other way. Most mountain glaciers have been retreating for a century, and in dry regions their meltwater feeds rivers through the summer months when crops need it most.",
  },
  {
    title: "Public libraries",
    text: "A public library lends more than books. Many offer internet access, help with job applications, language classes and a warm, quiet place to sit without buying anything. Surveys often find that the heaviest users are young children, older people and job seekers. When budgets shrink, opening hours are usually the first thing cut, which hurts exactly the people who rely on it most.",
  },
  {
    title: "Electric motors",
    text: "An electric motor turns current into motion with magnets: a current in a coil creates a magnetic field that pushes against a permanent magnet or another coil, and switching the current at the right moments keeps the rotor turning. Electric motors convert most of their input into work, often more than ninety percent, while a petrol engine turns most of its fuel into heat.",
  },
  {
    title: "Version control",
    text: "Version control records every change to a set of files along with who made it and why. Branches let several people work on different features at once, and merging brings their work back together. The history is useful long after the fact: when a bug appears, searching for the change that introduced it often takes minutes instead of days.",
  },
  {
    title: "The marathon",
    text: "A marathon is 42.195 kilometres, a distance fixed at the 1908 London Olympics so that the race could start at Windsor Castle and finish in front of the royal box. Most runners hit a wall around the thirtieth kilometre, when the body's stored carbohydrate runs low. Training teaches the body to burn more fat at race pace, and eating during the race delays the wall.",
  },
  {
    title: "Coral reefs",
    text: "Coral reefs cover a tiny fraction of the ocean floor but shelter about a quarter of all marine species. The corals live in partnership with algae that photosynthesise inside their tissues. When the water stays too warm for too long, the corals expel the algae and turn white; if the heat passes quickly they can recover, but repeated bleaching kills them.",
  },
  {
    title: "Spreadsheets",
    text: "Spreadsheets let people who do not think of themselves as programmers build models, budgets and schedules. Their weakness is that a formula is hidden behind its value: a wrong cell reference can sit unnoticed for years. Studies of real business spreadsheets have found errors in a large share of them, some in models that informed decisions worth millions.",
  },
  {
    title: "Roman roads",
    text: "The Romans built more than eighty thousand kilometres of paved roads, laid in layers of stone and gravel with a crown in the middle so rain would drain to the sides. The roads carried armies first and trade second. Many modern routes in Europe still follow their lines, because a good route over hills and rivers stays good for two thousand years.",
  },
  {
    title: "Noise-cancelling headphones",
    text: "Noise-cancelling headphones listen to the sound around the wearer with small microphones and play the same sound back inverted, so the two waves cancel. The trick works best on steady, low-pitched noise such as an aircraft engine; sudden or high-pitched sounds change too fast and are better blocked by the ear cushions themselves.",
  },
  {
    title: "Soil erosion",
    text: "Bare soil washes away in heavy rain and blows away in dry wind. A field that loses a few millimetres a year seems fine for a generation but loses its topsoil within a century, and topsoil forms far more slowly than that. Cover crops, terraces and leaving the stubble of the last harvest in place all keep soil where it belongs.",
  },
  {
    title: "The telegraph",
    text: "The electric telegraph separated communication from transport for the first time: a message could cross a continent faster than any horse or train. News agencies grew up around it, and markets in distant cities began to move together. The first transatlantic cable failed within weeks in 1858; a lasting one was laid in 1866.",
  },
  {
    title: "Habits",
    text: "A habit forms when a cue, a routine and a reward repeat often enough that the routine starts without a decision. That is why changing the cue is often easier than resisting the routine: keeping biscuits out of sight works better than willpower. New habits stick faster when they are attached to something already done every day, such as making coffee.",
  },
  {
    title: "Wind power",
    text: "A wind turbine's output rises with the cube of the wind speed, so a site with winds twenty percent stronger produces about seventy percent more energy. That is why turbines have grown taller, reaching steadier winds higher up, and why offshore farms, with strong and even winds, are worth their higher cost. The hard problem is not generation but matching it to demand on calm days.",
  },
  {
    title: "Museum storage",
    text: "Most museums show only a small share of their collections; the rest sits in storage, catalogued with varying care. Some items have not been looked at in decades. Curators rotate displays, lend pieces to other museums and increasingly photograph their stores so that researchers can find objects that would otherwise never be seen.",
  },
  {
    title: "Queues",
    text: "A queue's waiting time grows slowly while a server is lightly loaded and then explodes as it nears full use: at ninety percent utilisation the average wait is nine times the service time, at ninety-nine percent it is ninety-nine times. This is why systems that look fine in testing fall over under a modest increase in real traffic, and why spare capacity is not waste.",
  },
  {
    title: "Olive oil",
    text: "Olive oil is pressed from the whole fruit, not from a seed, which is why good oil tastes of the olives it came from. Extra virgin oil is made without heat or chemicals and must meet strict limits on acidity and defects. Light and air spoil it, so a dark bottle, kept closed and used within a few months of opening, keeps its flavour best.",
  },
  {
    title: "Moon landings",
    text: "Between 1969 and 1972 twelve astronauts walked on the Moon. The guidance computer that helped land them had about four kilobytes of erasable memory and ran its programs from woven rope memory that could not be changed after manufacture. The rocks they brought back showed that the Moon probably formed from debris after a large body struck the young Earth.",
  },
  {
    title: "Unit tests",
    text: "A unit test checks one small piece of code in isolation, quickly enough to run on every change. The best ones test behaviour rather than implementation, so they survive refactoring. A suite with many tests can still miss the bug that matters if all of them check the easy cases; a single property test that tries thousands of random inputs often finds what they missed.",
  },
  {
    title: "Migratory birds",
    text: "Some birds fly thousands of kilometres between summer and winter homes, guided by the Sun, the stars, the Earth's magnetic field and landmarks learned on earlier trips. Before setting out they eat until fat makes up nearly half their weight. Many follow the same routes every year and stop at the same wetlands, which makes the loss of a single stopover site serious.",
  },
  {
    title: "Minimum wage",
    text: "Economists long expected a higher minimum wage to reduce employment among low-paid workers. Studies comparing neighbouring regions with different minimums found smaller effects than the simple theory predicts, at least for moderate increases. The debate now is less about whether there is a cost than about where the level starts to bite, which depends on local wages and prices.",
  },
  {
    title: "Concrete",
    text: "Concrete is sand and gravel bound by cement paste, and it gains strength for weeks as the cement hydrates. It resists compression well but cracks under tension, so it is reinforced with steel bars where it must bend. Making cement releases a lot of carbon dioxide, both from the fuel for the kilns and from the limestone itself as it is heated.",
  },
  {
    title: "Learning a language",
    text: "Adults learn the grammar of a new language faster than children do at first, but children usually end up with better pronunciation. What helps most at any age is a lot of understandable input: listening to and reading material that is just slightly above one's level. Speaking early matters less than many courses assume, though it helps with confidence.",
  },
  {
    title: "The night shift",
    text: "Nurses on the night shift learn the sounds of a ward at three in the morning: the rhythm of the monitors, a cough that is new, the silence of a patient who has stopped asking for water. Handovers at seven carry the night's small decisions to the day team. Research links years of night work to poorer sleep and health, and rotas that change slowly are easier on the body than quick rotations.",
  },
  {
    title: "Password managers",
    text: "A password manager stores a different strong password for every site behind one master password, so a leak from one site does not open the others. The master password becomes the single point of failure, which is why it should be long and why the manager should offer a second factor. Browsers now include basic managers, which removes the main excuse for reusing passwords.",
  },
  {
    title: "Desert plants",
    text: "Cacti store water in their stems and have replaced leaves with spines, which lose little water and deter animals. Many desert plants open their pores only at night, when the air is cooler, and store carbon dioxide as an acid until the daylight returns. Seeds of some desert annuals wait in the soil for years until a heavy enough rain arrives.",
  },
  {
    title: "Jazz improvisation",
    text: "Jazz musicians improvise over a song's chord progression, choosing notes that fit each chord or deliberately clash with it for a moment of tension. Much of what sounds spontaneous draws on a vocabulary of phrases practised for years. Listening matters as much as playing: a good soloist answers what the drummer and pianist just did.",
  },
  {
    title: "Recycling plastics",
    text: "Only a small share of plastic waste is ever recycled. Many plastics are mixed or contaminated with food, and each kind must be sorted out before it can be melted again; even then, the material degrades a little with each cycle. Reducing packaging and designing products from a single kind of plastic help more than better sorting alone.",
  },
  {
    title: "Traffic lights",
    text: "A fixed-timing traffic light wastes green time on empty roads. Sensors in the road or cameras at the junction let a controller extend a green while cars keep coming and cut it short when the flow stops. Linking the lights along a corridor so that a platoon of cars meets a chain of greens can cut journey times more than widening the road.",
  },
  {
    title: "Earthquake engineering",
    text: "Buildings in earthquake zones are designed to sway rather than resist rigidly. Steel frames bend without breaking, and some buildings sit on rubber and steel bearings that let the ground move beneath them. The deadliest failures are usually in older concrete buildings without enough reinforcement, and retrofitting them is cheaper than rebuilding after a quake.",
  },
  {
    title: "Tea",
    text: "Green, black and oolong tea all come from the same plant. The difference lies in processing: green tea is heated soon after picking to stop oxidation, oolong is partly oxidised, and black tea is fully oxidised, which darkens the leaves and changes the flavour. Water that is too hot makes green tea bitter, which is why many growers recommend letting the kettle cool a little.",
  },
  {
    title: "Remote work",
    text: "When offices closed in 2020, many teams discovered that much of their work could be done from home, and some never went back full time. Remote work saves commuting time and widens the pool of people a company can hire. It also makes it harder for new staff to learn by watching others, which is why many companies settled on a few shared office days a week.",
  },
];
