"""Briefs and samples of the demo study, written for the project."""

from __future__ import annotations

BRIEFS: tuple[dict, ...] = (
    {
        "key": "lighthouse-story",
        "title": "A lighthouse keeper's last night",
        "text": (
            "Write a story of about 120 words about a lighthouse keeper on the last night "
            "before the light is automated."
        ),
        "samples": {
            "human": (
                "Marta wound the clock for the last time, though nobody would need it after "
                "tomorrow. The engineers had left a grey box bolted to the gallery rail; it "
                "blinked green, patient as a cat. She climbed the hundred and twelve steps "
                "anyway, counting out loud the way her father had, and polished the lens "
                "until she could see her own face bent around the glass. At midnight she "
                "logged the weather: wind south-west, sea moderate, one fishing boat heading "
                "in. She wrote it neatly. Then, under it, in smaller letters: *All well. "
                "Keeper going ashore.* The grey box blinked. Out on the water, the boat "
                "flashed its lamp twice, the way they always did, and she flashed back, and "
                "nobody would ever do that again."
            ),
            "ai": (
                "Tomas had kept the light at Carrow Point for thirty-one years. Tonight he "
                "sat by the window with a mug of tea going cold beside him and watched the "
                "beam sweep across the water: one, two, three, pause. In the morning a van "
                "would come, and two young men would fit the new controls, and the light "
                "would go on turning without anyone to see it. He thought about the storms, "
                "the trawler that nearly struck the reef in '98, the winter his wife had "
                "stayed out here with him and hated every minute and come back the next year "
                "anyway. At four o'clock he climbed the stairs one last time. He didn't "
                "touch anything. He just stood in the lamp room and let the light pass over "
                "him, again and again, like it was saying goodbye."
            ),
            "collaboration": (
                "On the last night, Iris did everything by the book. Lamp lit at 18:42. "
                "Weather logged. Brass polished, though the brass had never once been dirty. "
                "The installation crew had left a laminated card on the desk: IN CASE OF "
                "FAULT, CALL THIS NUMBER. She read it several times. Around two, a gull "
                "landed on the gallery and stared at her through the glass, and she told it "
                "the whole history of the station, the wrecks and the relief boats and the "
                "year the fog lasted eleven days. The gull left halfway through. At dawn she "
                "switched the lamp off by hand, which she wasn't supposed to do anymore, and "
                "then switched it back on, so the new system could have the honour of "
                "turning it off itself."
            ),
        },
    },
    {
        "key": "kitchen-morning-poem",
        "title": "A kitchen before breakfast",
        "text": "Write a short free-verse poem (8-14 lines) about a kitchen early in the morning.",
        "samples": {
            "human": (
                "The kettle starts its slow complaint.\n"
                "Someone has left a spoon in the sink\n"
                "like a small silver question.\n"
                "The radio is murmuring about traffic\n"
                "on roads I will not drive today.\n"
                "I stand in my socks on cold tiles\n"
                "and wait for the water,\n"
                "and the window fills up with grey,\n"
                "then with something paler than grey,\n"
                "then with the day."
            ),
            "ai": (
                "Before anyone is awake\n"
                "the fridge hums its one long note,\n"
                "the clock over the stove\n"
                "is three minutes fast, as always,\n"
                "and yesterday's bread\n"
                "has gone soft in its paper.\n"
                "I take the chipped blue bowl,\n"
                "the one nobody else likes,\n"
                "and fill it with oats and milk\n"
                "and eat standing up,\n"
                "listening to the house\n"
                "decide whether to wake."
            ),
            "collaboration": (
                "Morning comes softly to the kitchen,\n"
                "sunlight spilling over the counter\n"
                "like warm honey.\n"
                "The coffee maker gurgles and sighs.\n"
                "The cat weaves between the chair legs,\n"
                "asking for breakfast in her own language.\n"
                "On the table, last night's crossword,\n"
                "half finished, waits for an answer.\n"
                "I pour a cup and sit with it,\n"
                "and for a moment\n"
                "the whole world is only this:\n"
                "steam, light, and quiet."
            ),
        },
    },
    {
        "key": "bus-stop-rhyme",
        "title": "Waiting for the bus in the rain",
        "text": "Write a short rhymed poem (8-12 lines) about waiting at a bus stop in the rain.",
        "samples": {
            "human": (
                "The timetable's a work of fiction,\n"
                "the shelter's roof has lost a pane,\n"
                "and every puddle has ambitions\n"
                "to join the gutter, then the drain.\n"
                "A woman with a folded paper\n"
                "holds it above her like a hat;\n"
                "a boy has found a plastic crate\n"
                "and stands on it, and that is that.\n"
                "The 14 comes at twenty past,\n"
                "exhausted, steaming, full of light,\n"
                "and all of us climb on at last\n"
                "as if we'd timed it just right."
            ),
            "ai": (
                "I wait beneath a dripping sign,\n"
                "the sky a sheet of steel;\n"
                "my shoes are soaked, my coat is thin,\n"
                "and cold is all I feel.\n"
                "The headlights pass, but none are mine,\n"
                "they hiss along the street;\n"
                "I count the drops, I count the cars,\n"
                "I stamp my frozen feet.\n"
                "And then at last the number nine\n"
                "comes rounding through the grey,\n"
                "and warm inside, I watch the rain\n"
                "wash half the town away."
            ),
            "collaboration": (
                "Rain on the shelter roof goes tap tap tap,\n"
                "I wish I'd brought an umbrella, or at least a cap.\n"
                "The bus is late again, it's always late,\n"
                "there's nothing to do but stand and wait.\n"
                "A man beside me sighs and checks his phone,\n"
                "we're strangers, but we both feel alone.\n"
                "Then round the corner, two bright eyes:\n"
                "the bus arrives, to our surprise!\n"
                "We shuffle on, all wet and cold,\n"
                "a story that's as old as old."
            ),
        },
    },
    {
        "key": "bike-coop-slogans",
        "title": "Slogans for a bike repair co-op",
        "text": (
            "Write 3-5 slogan lines for a volunteer-run bicycle repair co-op in a city "
            "neighbourhood."
        ),
        "samples": {
            "human": (
                "Bring it broken. Leave it rolling.\n"
                "We lend the tools. You keep the skills.\n"
                "No judgement about your gears.\n"
                "Fix a bike, meet a neighbour."
            ),
            "ai": (
                "Your bike, your hands, our workshop.\n"
                "Tight bolts, loose rules.\n"
                "Every flat tyre is a lesson.\n"
                "Pedal-powered since Tuesday nights."
            ),
            "collaboration": (
                "Grease on your hands, wind in your hair.\n"
                "The community workshop where every bike matters.\n"
                "Repair, reuse, ride on!\n"
                "Together we keep the wheels turning."
            ),
        },
    },
    {
        "key": "library-tagline",
        "title": "A library of things",
        "text": (
            "Write one tagline, plus a one-line pitch, for a small neighbourhood library "
            "that lends tools, games and seeds as well as books."
        ),
        "samples": {
            "human": (
                "*Take what you need. Bring back a story.*\n"
                "The Ash Street Library lends books, board games, garden seeds and a "
                "surprising number of ladders, free to anyone with a postcode and a promise."
            ),
            "ai": (
                "*Everything you need, for as long as you need it.*\n"
                "From paperbacks to power drills to packets of runner beans, the Corner "
                "Library lends the things a neighbourhood can share, free of charge."
            ),
            "collaboration": (
                "*Borrow more. Buy less.*\n"
                "One library card for your whole life: a novel on Monday, a tent on Friday, "
                "courgette seeds in spring."
            ),
        },
    },
    {
        "key": "stoneware-mug",
        "title": "A hand-thrown mug",
        "text": (
            "Write a short product description (60-120 words) for a hand-thrown stoneware "
            "mug sold by a small pottery studio."
        ),
        "samples": {
            "human": (
                "Each of these mugs is thrown on the wheel in our studio in the valley and "
                "dipped in our speckled oat glaze, so no two are quite alike. They hold "
                "about 350 ml, which is a proper cup of tea with room for milk. The handle "
                "is pulled by hand and fits three fingers comfortably. Dishwasher and "
                "microwave safe, though they will last longer if you wash them by hand. "
                "Small variations in colour, glaze pooling and the odd tiny pinhole are part "
                "of the making and not faults."
            ),
            "ai": (
                "Heavy enough to feel like something, light enough to carry back to bed. "
                "This stoneware mug is thrown by hand, trimmed when leather-hard, and dipped "
                "in a glaze the colour of sea fog that breaks to warm brown at the rim. It "
                "holds 340 ml and keeps coffee hot through the first chapter of a book. The "
                "foot is left bare so you can feel the clay. Because each piece is made one "
                "at a time, yours will be a little different from the one in the photo, and "
                "that's the point. Dishwasher safe."
            ),
            "collaboration": (
                "Meet your new favourite mug. Made in small batches, each one is "
                "wheel-thrown from durable stoneware and finished with our river-stone glaze "
                "in deep green. The generous handle leaves room for a whole hand, not just a "
                "finger, and the wide base means it won't tip over on a cluttered desk. "
                "Capacity 400 ml. Food safe, lead free, dishwasher and microwave safe. "
                "Perfect for slow mornings, long phone calls, and the person who already has "
                "everything."
            ),
        },
    },
    {
        "key": "late-summer-haiku",
        "title": "The last week of summer",
        "text": "Write a sequence of three haiku about the last week of summer.",
        "samples": {
            "human": (
                "cricket in the shed—\n"
                "the lawnmower's blade still wet\n"
                "with August's last cut\n"
                "\n"
                "school shoes in a box\n"
                "on the hall table, waiting\n"
                "stiff and smelling new\n"
                "\n"
                "the lake at evening\n"
                "colder than it was last week—\n"
                "we swim anyway"
            ),
            "ai": (
                "Sunflowers bowing,\n"
                "heavy heads full of their seeds;\n"
                "the garden grows tired.\n"
                "\n"
                "Long light on the porch,\n"
                "the neighbours' radio plays\n"
                "a song from June.\n"
                "\n"
                "One peach left to eat.\n"
                "I cut it in half and give\n"
                "the bigger half away."
            ),
            "collaboration": (
                "warm dusk, cooling fast—\n"
                "swallows gather on the wire\n"
                "counting who will leave\n"
                "\n"
                "beach towel on the line\n"
                "stiff with salt; it will not dry\n"
                "before we go home\n"
                "\n"
                "first leaf on the path\n"
                "yellow, not quite ready yet—\n"
                "neither am I"
            ),
        },
    },
    {
        "key": "baker-limerick",
        "title": "A forgetful baker",
        "text": "Write a limerick about a forgetful baker.",
        "samples": {
            "human": (
                "A baker from somewhere near Crewe\n"
                "forgot what he'd meant to bake, too;\n"
                "he'd knead and he'd proof,\n"
                "then stare at the roof,\n"
                "and serve up a loaf-flavoured stew."
            ),
            "ai": (
                "There once was a baker named Flo\n"
                "who kept losing track of her dough.\n"
                "She'd leave it to rise,\n"
                "then, to her surprise,\n"
                "find it halfway to Buffalo."
            ),
            "collaboration": (
                "Our baker, though skilled at his trade,\n"
                "forgot every cake that he made.\n"
                "He'd ice them with care,\n"
                "then leave them somewhere,\n"
                "and the mice have been very well paid."
            ),
        },
    },
    {
        "key": "coastal-novel-opening",
        "title": "A novel's first paragraph",
        "text": (
            "Write the opening paragraph (100-160 words) of a novel set in a small coastal town."
        ),
        "samples": {
            "human": (
                "The summer my grandfather sold the boat, the town started smelling of "
                "paint. Everyone was doing something to their houses: the Pryces painted "
                "theirs yellow, the Dunnes added a porch they never sat on, and the woman at "
                "the post office hung baskets of petunias that died within a fortnight "
                "because she watered them with the same enthusiasm she gave to stamps. "
                "People said the new road was coming, and the new road would bring visitors, "
                "and visitors would want to look at yellow houses. My grandfather said "
                "nothing. He sat on the harbour wall every morning with his hands folded, "
                "looking at the empty mooring where the *Grace Ellen* had been, as if he was "
                "waiting for someone to bring her back and say there had been a mistake."
            ),
            "ai": (
                "Nobody in Saltmarsh locked their doors, which was how Edie Lane came to "
                "find a stranger asleep on her kitchen floor on the first Tuesday in March. "
                "He was young, maybe twenty, with wet hair and one shoe, and he was holding "
                "a ship's compass against his chest the way a child holds a toy. Edie "
                "considered calling the police, then considered how long it would take "
                "Sergeant Hale to drive over from Kilby, then put the kettle on instead. "
                "Outside, the tide was going out and taking the fog with it. By the time the "
                "kettle boiled, the boy was awake and watching her, and the first thing he "
                "said was her name."
            ),
            "collaboration": (
                "The town of Port Ellery had always been a place of secrets. Its narrow "
                "streets wound down to a harbour where fishing boats bobbed on grey water, "
                "and the gulls cried overhead like lost souls. Mara Quinn had not been back "
                "in twelve years, not since the night of the fire, and as the bus pulled "
                "into the square she felt the old dread settle in her stomach. Nothing had "
                "changed. The same faded sign hung above the Anchor. The same old men sat on "
                "the same bench by the war memorial. And somewhere in this town, she knew, "
                "was the one person who could tell her what had really happened that night."
            ),
        },
    },
    {
        "key": "houseplant-eulogy",
        "title": "Eulogy for a houseplant",
        "text": "Write a short eulogy (80-150 words) for a houseplant that has finally died.",
        "samples": {
            "human": (
                "We are gathered here, by the radiator, to say goodbye to Gerald, a peace "
                "lily of uncertain age. Gerald came to us from a garage sale in 2016 and "
                "immediately began dying, a project he pursued with great dedication for "
                "eight years. He survived two house moves, one cat, a holiday when nobody "
                "watered him, and a period when I watered him every day out of guilt. He "
                "flowered exactly once, on the morning of my job interview, and I have "
                "always believed that was for me. He asked for very little: indirect light, "
                "a drink on Sundays, occasional conversation. He got about half of that. "
                "Gerald, you were not the most beautiful plant, but you were ours, and the "
                "windowsill looks wrong without you."
            ),
            "ai": (
                "Fern, you were here before the sofa, before the good curtains, before I "
                "knew how to cook anything but pasta. You lived in the corner by the "
                "bookshelf and leaned, always, toward the window, as if you were trying to "
                "leave. I understand that now. You dropped your leaves in small, polite "
                "handfuls so I would notice without being upset. I noticed. I moved you, "
                "misted you, bought you a pot with drainage holes and a little bag of "
                "special soil. None of it was enough, or maybe it was simply your time. I "
                "will keep the pot. I don't know what will go in it yet. Rest well, old "
                "friend, somewhere bright."
            ),
            "collaboration": (
                "Here lies the cactus. Everyone said you couldn't kill a cactus, and I would "
                "like to say, respectfully, that everyone was wrong. It lived on my desk for "
                "three years and asked for nothing, so I gave it nothing, and then one day "
                "in a burst of affection I gave it a full glass of water, and that, "
                "apparently, was that. It was green, and then it was a sort of beige, and "
                "then it was soft, which is not what a cactus should be. It never flowered. "
                "It never moved. It was, in many ways, the best colleague I have ever had. "
                "Goodbye, small prickly friend. I'm sorry about the water."
            ),
        },
    },
    {
        "key": "lost-property-story",
        "title": "The lost-property office",
        "text": (
            "Write a story of about 100-150 words set in a railway station's lost-property office."
        ),
        "samples": {
            "human": (
                "Dev has worked in lost property for nine years and has seen everything: "
                "false teeth, a wedding dress, a live tortoise called Barry. Today a woman "
                "comes in looking for a glove. Left hand, grey wool, a darn on the thumb. "
                "Dev checks the glove drawer. There are forty-three grey gloves. He lays "
                "them all out on the counter and she goes through them one by one, very "
                "carefully, like she's reading. Halfway through she stops and says never "
                "mind, it doesn't matter, it was only a glove. But she doesn't leave. So Dev "
                "makes two cups of tea and they go through the rest together. It isn't "
                "there. She thanks him anyway and tells him about the darn on the thumb, who "
                "sewed it and when, which Dev thinks was the thing she really came to find."
            ),
            "ai": (
                "The umbrella had been in the lost-property office for two years, which was "
                "eighteen months longer than the rules allowed. It was green, with a wooden "
                "handle carved like a duck's head, and every time Priya went to send it to "
                "auction she put it back on the shelf. Then, one wet Thursday, an old man "
                "came to the window and described it exactly, down to the chip on the duck's "
                "beak. 'My wife's,' he said. 'She left it on the 8:15 and was cross about it "
                "for weeks.' Priya fetched it. He held it for a moment without opening it. "
                "'She'd have been pleased,' he said, and went out into the rain with it "
                "still furled under his arm."
            ),
            "collaboration": (
                "Nobody ever comes back for the things left on Platform 4, but Joe logs them "
                "anyway: one teddy bear, blue; one laptop charger; one novel, bookmarked at "
                "page 212. At the end of each shift he reads a few pages of the novel, so "
                "that somebody will know how it ends. It takes him three weeks. On the last "
                "page someone has written in pencil, *If you found this, I hope you liked it "
                "too.* Joe doesn't put the book back in the box. He leaves it on the bench "
                "on Platform 4 with the bookmark at page one, and goes home."
            ),
        },
    },
    {
        "key": "kitchen-object-ode",
        "title": "In praise of an ordinary object",
        "text": "Write a short poem (6-16 lines) praising an ordinary kitchen object.",
        "samples": {
            "human": (
                "Colander, you are mostly holes\n"
                "and still you hold things.\n"
                "You let the boiling water go\n"
                "and keep the pasta, the peas,\n"
                "the washed cherries in July.\n"
                "You hang on a nail by the window\n"
                "like a small tin moon\n"
                "and throw freckles of light\n"
                "on the wall when the sun comes round.\n"
                "Nothing you do is important.\n"
                "Everything you do, I need."
            ),
            "ai": (
                "Old wooden spoon,\n"
                "scorched at the tip, soft at the edges,\n"
                "you have stirred every soup in this house\n"
                "since before I could reach the stove.\n"
                "You've been a drumstick, a sword,\n"
                "a threat my mother never once carried out.\n"
                "You smell faintly of onions\n"
                "no matter how I wash you.\n"
                "When I cook, I hold you\n"
                "the way she did,\n"
                "halfway down,\n"
                "and the soup comes out almost right."
            ),
            "collaboration": (
                "Humble towel upon the rail,\n"
                "you dry the plates and never fail.\n"
                "You wipe the spills, you catch the crumbs,\n"
                "you wrap the bread when morning comes.\n"
                "Your stripes have faded, red to pink,\n"
                "from years of service by the sink.\n"
                "Nobody writes a song for you,\n"
                "so here's a poem. Overdue."
            ),
        },
    },
    {
        "key": "cat-welcome-note",
        "title": "A note from the cat",
        "text": (
            "Write a short note (80-140 words) from a cat to its owner, who has just come "
            "back from a week away."
        ),
        "samples": {
            "human": (
                "You were gone for seven days. I counted. The substitute fed me at the "
                "correct times, but she did not know about second breakfast, and she sat in "
                "your chair, which I allowed only because she had cheese. I have been "
                "sleeping on your jumper in the wardrobe. I will continue to do so. You may "
                "not wash it. On Wednesday I knocked the blue glass off the shelf to see if "
                "you would come back and shout. You did not. I am telling you this so you "
                "understand it was your fault. I am now going to ignore you for "
                "approximately one hour. After that I will sit on your chest until you "
                "apologise."
            ),
            "ai": (
                "Oh. You're back.\n"
                "I hadn't noticed you were gone. I was very busy this week, sleeping in the "
                "sunny spot, then the other sunny spot, then on top of your suitcase, which "
                "I assumed you had left out for me. The food was adequate. The man who came "
                "to feed me talked in a silly voice, and I have decided not to forgive him. "
                "Also, there is something behind the sofa. Do not look behind the sofa. "
                "Anyway, now that you are home, you may resume your usual duties: opening "
                "doors, closing doors, and opening them again. I will be on the bed. Not "
                "because I missed you. The bed is simply warmer with you in it."
            ),
            "collaboration": (
                "Welcome home, tall one! I must say I was very upset that you left without "
                "asking my permission. For seven whole days I had to survive on only four "
                "meals a day, with nobody to throw my toy mouse. I meowed at the door every "
                "night. Well, some nights. I may also have knocked over a plant, but that "
                "was an accident (it was not an accident). I am very happy you are back, but "
                "I will not show it, because I am a cat and those are the rules. Please fill "
                "my bowl immediately. Then you may pet me three times, no more. I love you. "
                "Don't tell anyone."
            ),
        },
    },
    {
        "key": "shared-umbrella-scene",
        "title": "Two strangers, one umbrella",
        "text": (
            "Write a very short scene (80-150 words), mostly dialogue, in which two "
            "strangers share an umbrella."
        ),
        "samples": {
            "human": (
                "'You're getting wet,' she said.\n"
                "'I'm fine.'\n"
                "'Your whole left side is in the rain.'\n"
                "'It's a small umbrella.'\n"
                "'It's my umbrella.'\n"
                "'I know. Thank you.' He shuffled closer. Their elbows bumped. 'Where are "
                "you going?'\n"
                "'The chemist. You?'\n"
                "'Nowhere. I was just standing under that awning when you walked past.'\n"
                "She stopped. 'So you followed me?'\n"
                "'You offered!'\n"
                "'I said *do you want to share*. I didn't say *come to the chemist*.'\n"
                "'Well, I have to now. I'm committed.'\n"
                "She laughed, and the umbrella tipped, and they both got wet."
            ),
            "ai": (
                "'Bus stop?' he asked, holding the umbrella out.\n"
                "'Station,' she said. 'But the bus stop's on the way.'\n"
                "They walked. The rain drummed overhead.\n"
                "'I'm Sam, by the way.'\n"
                "'Leila.'\n"
                "'Do you always forget your umbrella, Leila?'\n"
                "'Only on days when the forecast says sunny.'\n"
                "'So, every day, then.'\n"
                "She smiled. At the bus stop he hesitated, then kept walking beside her.\n"
                "'This is your stop,' she said.\n"
                "'The station's another ten minutes. You'll get soaked.'\n"
                "'You'll miss your bus.'\n"
                "'There'll be another one,' he said."
            ),
            "collaboration": (
                "The man at the crossing had a black umbrella big enough for three. The "
                "woman next to him had a newspaper.\n"
                "'Here,' he said, tilting it.\n"
                "'Oh, I couldn't.'\n"
                "'You could. It's mostly empty.'\n"
                "She stepped under. The lights took a long time to change.\n"
                "'My husband carried one like this,' she said. 'Enormous. Embarrassing, "
                "really.'\n"
                "'Did he share it?'\n"
                "'Constantly. With everyone. I used to walk half a step behind so people "
                "wouldn't think we were together.'\n"
                "The green man appeared. Neither of them moved.\n"
                "'I'm going to the library,' she said.\n"
                "'So am I,' he said, which was not true, but it was only two streets."
            ),
        },
    },
    {
        "key": "museum-slogans",
        "title": "Slogans for a local museum",
        "text": (
            "Write 3-5 slogan lines for a small-town museum of local history that wants to "
            "attract more teenagers."
        ),
        "samples": {
            "human": (
                "History: it happened here, and it was weird.\n"
                "Your town was wilder than you think.\n"
                "Free entry. Free wifi. Free ghosts (probably).\n"
                "Come for the selfies, stay for the shipwreck."
            ),
            "ai": (
                "Every street has a story. We kept the receipts.\n"
                "See what your great-great-grandparents got up to.\n"
                "Old stuff, new questions.\n"
                "Open late on Fridays."
            ),
            "collaboration": (
                "Local history, but make it interesting.\n"
                "Three hundred years of gossip in one building.\n"
                "The past is closer than you think. It's on Mill Road."
            ),
        },
    },
    {
        "key": "first-snow-poem",
        "title": "First snow",
        "text": (
            "Write a short poem (6-16 lines), rhymed or free verse, about the first snow of "
            "the year."
        ),
        "samples": {
            "human": (
                "It came in the night\n"
                "without asking,\n"
                "the way my brother used to\n"
                "when he'd lost his key.\n"
                "By morning the car was a loaf,\n"
                "the fence a row of teeth,\n"
                "and the dog stood at the back door\n"
                "looking at me\n"
                "as if I had done this\n"
                "and ought to explain."
            ),
            "ai": (
                "The first snow fell on Sunday,\n"
                "so quietly we missed\n"
                "the moment when the street became\n"
                "a page the wind had kissed.\n"
                "The children found it first, of course,\n"
                "and dragged their boots through white;\n"
                "the grown-ups stood at windows\n"
                "and forgot the bills that night.\n"
                "By Tuesday it was slush and grit,\n"
                "as first snows always are,\n"
                "but for a day the town was new\n"
                "and someone's sledge went far."
            ),
            "collaboration": (
                "Snow on the bins,\n"
                "snow on the bus shelter,\n"
                "snow on the one red glove\n"
                "someone left on the railings\n"
                "last week, so that now\n"
                "it looks like it is waving.\n"
                "I walk to work the long way\n"
                "to make the first prints\n"
                "on the playing field,\n"
                "and feel, for ten minutes,\n"
                "like the only person\n"
                "who has ever been awake."
            ),
        },
    },
)

ATTENTION_CHECKS: tuple[dict, ...] = (
    {
        "id": "attention-1",
        "group": "human",
        "brief": "kitchen-morning-poem",
        "text": (
            "The toaster ticks as it cools.\n"
            "A jar of jam stands open,\n"
            "its lid upside down on the counter,\n"
            "and the light comes in sideways\n"
            "over the unwashed cups.\n"
            "\n"
            "To show you are reading carefully, please give this text a score of 2."
        ),
        "expected": (2, 2),
    },
    {
        "id": "attention-2",
        "group": "ai",
        "brief": "stoneware-mug",
        "text": (
            "A sturdy everyday mug, wheel-thrown and glazed in soft charcoal. It holds 300 "
            "ml and has a wide handle that is easy to grip. Each one varies slightly in "
            "shape and colour. This is an attention check: please give this text the lowest "
            "possible score, 1."
        ),
        "expected": (1, 1),
    },
    {
        "id": "attention-3",
        "group": "collaboration",
        "brief": "late-summer-haiku",
        "text": (
            "blackberries by the lane—\n"
            "our fingers purple\n"
            "to the second knuckle\n"
            "\n"
            "To show you are reading carefully, please give this text a score of 3 or lower."
        ),
        "expected": (1, 3),
    },
)

# Further samples for three briefs, so that each group has three samples of the same brief
# to compare (the results' diversity section): the collaboration group's share their
# ideas and some words, the human ones go their own ways, the AI ones in between.
EXTRA_SAMPLES: tuple[dict, ...] = (
    {
        "brief": "bike-coop-slogans",
        "group": "collaboration",
        "text": (
            "Bring your bike, we bring the tools.\n"
            "The community workshop where every rider belongs.\n"
            "Fix it, ride it, pass it on.\n"
            "Keeping the neighbourhood's wheels turning."
        ),
    },
    {
        "brief": "bike-coop-slogans",
        "group": "collaboration",
        "text": (
            "Broken chain? Bring it on.\n"
            "A workshop run by neighbours, for neighbours.\n"
            "Repair, reuse, ride again!\n"
            "We keep the wheels turning together."
        ),
    },
    {
        "brief": "bike-coop-slogans",
        "group": "human",
        "text": (
            "Chain came off? So did ours, once.\n"
            "Thursday nights, back door, mind the dog.\n"
            "We have a pump. We have biscuits.\n"
            "Pay what you can, or pay in inner tubes."
        ),
    },
    {
        "brief": "bike-coop-slogans",
        "group": "human",
        "text": (
            "Squeaky brakes are a cry for help.\n"
            "Old frames, new friends.\n"
            "Nobody here owns a racing suit.\n"
            "Bikes mended by people who also walk."
        ),
    },
    {
        "brief": "bike-coop-slogans",
        "group": "ai",
        "text": (
            "Fix it yourself, with a little help.\n"
            "Our tools, your ride, one neighbourhood.\n"
            "From flat tyres to loose chains, we've got you.\n"
            "Open every Tuesday evening."
        ),
    },
    {
        "brief": "bike-coop-slogans",
        "group": "ai",
        "text": (
            "Learn to fix, learn to ride.\n"
            "Your neighbourhood bike workshop, run by volunteers.\n"
            "Every repair keeps a bike on the road.\n"
            "Drop in on Tuesday nights."
        ),
    },
    {
        "brief": "library-tagline",
        "group": "collaboration",
        "text": (
            "*Borrow the thing, not the debt.*\n"
            "One card opens the whole shed: a thriller on Tuesday, a drill on Saturday, "
            "tomato seeds in May."
        ),
    },
    {
        "brief": "library-tagline",
        "group": "collaboration",
        "text": (
            "*Own less, do more.*\n"
            "A library card that works all year: a cookbook in winter, a tent in summer, "
            "bean seeds in spring."
        ),
    },
    {
        "brief": "library-tagline",
        "group": "human",
        "text": (
            "*The shelf that goes home with you.*\n"
            "Bramble Lane lends hedge trimmers, chess sets and sourdough starter, and asks "
            "only that you bring them back less broken than you found them."
        ),
    },
    {
        "brief": "library-tagline",
        "group": "human",
        "text": (
            "*Ask for it. We probably have one.*\n"
            "A former bus depot full of drills, jigsaws, tents and poetry, open to anyone "
            "who lives close enough to walk here in slippers."
        ),
    },
    {
        "brief": "library-tagline",
        "group": "ai",
        "text": (
            "*Share more, own less.*\n"
            "The Maple Street Library lends books, tools, games and seeds to everyone in "
            "the neighbourhood, completely free."
        ),
    },
    {
        "brief": "library-tagline",
        "group": "ai",
        "text": (
            "*Your neighbourhood's shared shelf.*\n"
            "Borrow novels, ladders, board games and seed packets from the library around "
            "the corner, at no cost."
        ),
    },
    {
        "brief": "museum-slogans",
        "group": "collaboration",
        "text": (
            "Local history, without the boring bits.\n"
            "Three centuries of secrets under one roof.\n"
            "Find out what happened on your street."
        ),
    },
    {
        "brief": "museum-slogans",
        "group": "collaboration",
        "text": (
            "Your town had drama before you were born.\n"
            "Three hundred years of local scandals in one building.\n"
            "The past lives on Mill Road."
        ),
    },
    {
        "brief": "museum-slogans",
        "group": "human",
        "text": (
            "We have a stuffed pike that has seen things.\n"
            "Your school is in our photos. Look closely.\n"
            "No one will shush you. Much.\n"
            "Bring a friend, find their great-gran."
        ),
    },
    {
        "brief": "museum-slogans",
        "group": "human",
        "text": (
            "The mayor in 1890 was a fraud. Come and see the proof.\n"
            "Our oldest shoe is older than the town hall.\n"
            "Free on Saturdays, spooky on Thursdays."
        ),
    },
    {
        "brief": "museum-slogans",
        "group": "ai",
        "text": (
            "Discover the stories that shaped your town.\n"
            "History is more exciting than you think.\n"
            "Snap, share and explore the past.\n"
            "Free for under-18s."
        ),
    },
    {
        "brief": "museum-slogans",
        "group": "ai",
        "text": (
            "Your town's past, waiting to be discovered.\n"
            "Real stories, real people, right here.\n"
            "Explore, learn and share.\n"
            "Open late every Friday."
        ),
    },
)
